using Rpo.Diffusion.Schedulers;
using Rpo.Diffusion.Parity;
using Rpo.Tests.Shared;

namespace Rpo.Diffusion.Tests.Schedulers;

/// <summary>Every case folder under fixtures/schedulers, driven as its case.json says, against every stored output.</summary>
public class SchedulerFixtureTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(TestPaths.Fixture("schedulers")).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(dir, "case.json")))
                data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference(string caseName)
    {
        // The same path as `rpo fixture check`: every stored output compared at the case's tolerance.
        var report = new FixtureCheck([new SchedulerCaseRunner()]).Check(TestPaths.Fixture("schedulers", caseName));
        foreach (var c in report.Comparisons)
            Console.WriteLine($"[{report.Name}] {c}");
        Assert.Null(report.Error);
        Assert.True(report.Pass, string.Join("\n", report.Comparisons.Where(c => !c.Pass)));
    }

    [Fact]
    public void The_runner_claims_every_scheduler_case_class()
    {
        var runner = new SchedulerCaseRunner();
        foreach (var dir in Directory.GetDirectories(TestPaths.Fixture("schedulers")))
        {
            using var fixture = FixtureCase.Load(dir);
            Assert.Contains(fixture.ModelClass, runner.ModelClasses);
        }
    }
}

/// <summary>The DDIM steps of the tiny text-to-image run, fed the stored UNet outputs (classifier-free guidance 7.5).</summary>
public class PipelineSchedulerTests
{
    [Fact]
    public void Ddim_reproduces_the_pipeline_step_latents()
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture("sd-pipeline-tiny"));
        var scheduler = SchedulerFactory.FromConfig(TestPaths.Fixture("sd-pipeline-tiny", "scheduler"));
        scheduler.SetTimesteps(5);
        using var timesteps = scheduler.TimestepsTensor();
        Rpo.Tests.Shared.Parity.AssertClose(fixture, "timesteps", timesteps);

        var latents = fixture.Inputs["latents"] * scheduler.InitNoiseSigma;
        var unetOutput = fixture.Outputs["unet_output"];
        var steps = new List<TorchSharp.torch.Tensor>();
        for (int i = 0; i < scheduler.Timesteps.Count; i++)
        {
            var uncond = unetOutput[i][0..1];
            var cond = unetOutput[i][1..2];
            var noisePred = uncond + (cond - uncond) * 7.5f;
            latents = scheduler.Step(noisePred, scheduler.Timesteps[i], latents).PrevSample;
            steps.Add(latents);
        }
        Rpo.Tests.Shared.Parity.AssertClose(fixture, "step_latents", TorchSharp.torch.stack(steps));
        Rpo.Tests.Shared.Parity.AssertClose(fixture, "final_latents", latents);
    }
}
