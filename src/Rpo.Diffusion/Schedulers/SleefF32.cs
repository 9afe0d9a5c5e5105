namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// float32 exp as ATen's CPU kernels compute it: <c>torch.exp</c> on a float tensor (even a 0-dim one) goes through
/// SLEEF's vectorised <c>expf_u10</c> (AVX2 build, fused multiply-adds), which is accurate to 1 ulp but not always
/// correctly rounded. DPM-Solver's step coefficients are e^{−h} of float32 λ differences, and matching them to the ulp
/// is what keeps the solver's outputs equal to the reference instead of a few ulps apart per step; every scheduler
/// takes exp of a float32 tensor value through here. (log stays MathF.Log: SLEEF's logf_u1 agreed with it on every
/// value the fixtures exercise.)
/// A port of SLEEF's <c>xexpf</c> (Boost Software License 1.0): Cody–Waite reduction by ln 2, degree-6 polynomial.
/// </summary>
public static class SleefF32
{
    const float RLn2 = 1.442695040888963407359924681001892137426645954152985934135449406931f;
    const float L2U = 0.693145751953125f;
    const float L2L = 1.428606765330187045e-06f;

    public static float Exp(float d)
    {
        if (float.IsNaN(d)) return d;
        if (d < -104f) return 0f;
        if (d > 100f) return float.PositiveInfinity;
        int q = (int)MathF.Round(d * RLn2, MidpointRounding.ToEven);
        float s = MathF.FusedMultiplyAdd(q, -L2U, d);
        s = MathF.FusedMultiplyAdd(q, -L2L, s);

        float u = 0.000198527617612853646278381f;
        u = MathF.FusedMultiplyAdd(u, s, 0.00139304355252534151077271f);
        u = MathF.FusedMultiplyAdd(u, s, 0.00833336077630519866943359f);
        u = MathF.FusedMultiplyAdd(u, s, 0.0416664853692054748535156f);
        u = MathF.FusedMultiplyAdd(u, s, 0.166666671633720397949219f);
        u = MathF.FusedMultiplyAdd(u, s, 0.5f);
        u = 1f + MathF.FusedMultiplyAdd(s * s, u, s);

        // ldexp in two halves so that 2^q never overflows on its own.
        int half = q >> 1;
        return u * Pow2(half) * Pow2(q - half);
    }

    static float Pow2(int e) => BitConverter.Int32BitsToSingle((e + 127) << 23);
}
