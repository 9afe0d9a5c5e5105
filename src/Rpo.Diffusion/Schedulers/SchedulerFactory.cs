namespace Rpo.Diffusion.Schedulers;

/// <summary>The samplers a run can choose over a model's scheduler config (the CLI's <c>--scheduler</c>).</summary>
public enum SchedulerKind
{
    Ddpm,
    Ddim,
    Euler,
    DpmSolverPlusPlus,
}

/// <summary>Builds schedulers from <c>scheduler_config.json</c> the way diffusers' <c>from_pretrained</c> / <c>from_config</c> do.</summary>
public static class SchedulerFactory
{
    /// <summary>The class the config names (<c>_class_name</c>), read from a file or a scheduler folder.</summary>
    public static IDiffusionScheduler FromConfig(string path)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "scheduler_config.json") : path;
        return FromConfig(SchedulerConfig.Load(file));
    }

    public static IDiffusionScheduler FromConfig(SchedulerConfig config) =>
        KindOfClass(config.ClassName) is { } kind
            ? Create(kind, config)
            : throw new NotSupportedException(
                $"scheduler class '{config.ClassName ?? "(no _class_name)"}' is not implemented; choose one of ddpm, ddim, euler, dpmpp over this config.");

    /// <summary>A scheduler of <paramref name="kind"/> over another scheduler's config, as diffusers'
    /// <c>Kind.from_config(other.config)</c>: it takes the keys it knows and its own defaults for the rest.</summary>
    public static IDiffusionScheduler Create(SchedulerKind kind, SchedulerConfig config) =>
        kind switch
        {
            SchedulerKind.Ddpm => new DDPMScheduler(config),
            SchedulerKind.Ddim => new DDIMScheduler(config),
            SchedulerKind.Euler => new EulerDiscreteScheduler(config),
            SchedulerKind.DpmSolverPlusPlus => new DPMSolverMultistepScheduler(config),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

    /// <summary>
    /// The sampler a pipeline generates with when none is asked for: the folder's own class when it is implemented
    /// here, else DDIM over its config (SD 1.5 ships PNDM, which is not). <paramref name="schedulerFolder"/> is the
    /// pipeline's <c>scheduler/</c> folder or its <c>scheduler_config.json</c>.
    /// </summary>
    public static SchedulerKind GenerationKind(string schedulerFolder)
    {
        string file = Directory.Exists(schedulerFolder) ? Path.Combine(schedulerFolder, "scheduler_config.json") : schedulerFolder;
        return KindOfClass(SchedulerConfig.Load(file).ClassName) ?? SchedulerKind.Ddim;
    }

    public static IDiffusionScheduler Create(SchedulerKind kind, string configPath)
    {
        string file = Directory.Exists(configPath) ? Path.Combine(configPath, "scheduler_config.json") : configPath;
        return Create(kind, SchedulerConfig.Load(file));
    }

    /// <summary>The diffusers class name → kind; null for classes not implemented here (PNDM, LMS, …).</summary>
    public static SchedulerKind? KindOfClass(string? className) =>
        className switch
        {
            "DDPMScheduler" => SchedulerKind.Ddpm,
            "DDIMScheduler" => SchedulerKind.Ddim,
            "EulerDiscreteScheduler" => SchedulerKind.Euler,
            "DPMSolverMultistepScheduler" => SchedulerKind.DpmSolverPlusPlus,
            _ => null,
        };

    /// <summary>The short names users type: ddpm, ddim, euler, dpmpp (also dpm++, dpmsolver).</summary>
    public static SchedulerKind ParseKind(string name) =>
        name.Trim().ToLowerInvariant() switch
        {
            "ddpm" => SchedulerKind.Ddpm,
            "ddim" => SchedulerKind.Ddim,
            "euler" => SchedulerKind.Euler,
            "dpmpp" or "dpm++" or "dpmsolver" or "dpm-solver++" => SchedulerKind.DpmSolverPlusPlus,
            _ => throw new ArgumentException($"unknown scheduler '{name}': use ddpm, ddim, euler or dpmpp.", nameof(name)),
        };
}
