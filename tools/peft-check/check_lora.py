"""Checks that a LoRA file written by `rpo train --lora-rank` loads into a diffusers UNet the way diffusers'
`load_lora_weights` does it (diffusers 0.2x: lora_state_dict -> load_lora_into_unet), using the real peft.

diffusers itself is not needed: the UNet is rebuilt as a module skeleton from a diffusers-written
diffusion_pytorch_model.safetensors (every parameter at its diffusers path, nn.Linear at every Linear weight), which is
exactly what peft walks. What is checked:
  * every key is "unet.<module>.lora_A.weight" / ".lora_B.weight" and <module> is a Linear of the diffusers UNet;
  * peft, configured as diffusers configures it (r from lora_B's shape, lora_alpha = r when the file carries no
    network alphas, target_modules = the module names in the file), injects adapters and
    set_peft_model_state_dict reports no unexpected key and leaves no adapter weight unloaded;
  * each adapted layer's output equals W x + b + B A x (the scale folded into B, so diffusers' scale 1 is right).
Usage: python3 check_lora.py <diffusers unet safetensors> <pytorch_lora_weights.safetensors>
"""
import collections
import sys

import torch
from peft import LoraConfig, inject_adapter_in_model, set_peft_model_state_dict
from safetensors.torch import load_file


def skeleton(base):
    root = torch.nn.Module()
    linear = {k[: -len(".weight")] for k, v in base.items() if k.endswith(".weight") and v.dim() == 2}
    for name in sorted(linear):
        w = base[name + ".weight"]
        b = base.get(name + ".bias")
        layer = torch.nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
        with torch.no_grad():
            layer.weight.copy_(w)
            if b is not None:
                layer.bias.copy_(b)
        parent = root
        parts = name.split(".")
        for part in parts[:-1]:
            if not hasattr(parent, part):
                parent.add_module(part, torch.nn.Module())
            parent = getattr(parent, part)
        parent.add_module(parts[-1], layer)
    return root, linear


def main(base_path, lora_path):
    base = load_file(base_path)
    lora = load_file(lora_path)
    unet, linear = skeleton(base)
    bad = [k for k in lora if not k.startswith("unet.") or not (k.endswith(".lora_A.weight") or k.endswith(".lora_B.weight"))]
    assert not bad, f"keys outside the diffusers/peft form: {bad[:5]}"
    state = {k[len("unet."):]: v.float() for k, v in lora.items()}
    modules = sorted({k.split(".lora_")[0] for k in state})
    missing_modules = [m for m in modules if m not in linear]
    assert not missing_modules, f"not a Linear of the diffusers UNet: {missing_modules[:5]}"
    ranks = collections.Counter(v.shape[1] for k, v in state.items() if k.endswith("lora_B.weight"))
    r = ranks.most_common(1)[0][0]
    config = LoraConfig(r=r, lora_alpha=r, target_modules=modules)
    inject_adapter_in_model(config, unet, adapter_name="default")
    result = set_peft_model_state_dict(unet, state, adapter_name="default")
    unexpected = list(getattr(result, "unexpected_keys", []) or [])
    assert not unexpected, f"peft did not take: {unexpected[:5]}"
    worst = 0.0
    torch.manual_seed(0)
    for m in modules:
        layer = unet.get_submodule(m)
        a, b = state[m + ".lora_A.weight"], state[m + ".lora_B.weight"]
        assert torch.equal(layer.lora_A["default"].weight.data, a), f"{m}: lora_A not loaded"
        assert torch.equal(layer.lora_B["default"].weight.data, b), f"{m}: lora_B not loaded"
        x = torch.randn(3, layer.in_features)
        w = base[m + ".weight"].float()
        bias = base.get(m + ".bias")
        expected = x @ w.T + (0 if bias is None else bias.float()) + x @ a.T @ b.T
        with torch.no_grad():
            got = layer(x)
        worst = max(worst, (got - expected).abs().max().item())
    nonzero = sum(1 for m in modules if state[m + ".lora_B.weight"].abs().max() > 0)
    print(f"ok: {len(modules)} adapted Linear layers, rank {r}, {nonzero} with non-zero B, "
          f"max |peft - (Wx + b + BAx)| = {worst:.2e}; peft {__import__('peft').__version__}, torch {torch.__version__}")
    assert worst < 1e-5, worst


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
