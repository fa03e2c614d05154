"""RunStore behind the API: lazy loading, a bounded LRU, reload when the weights on disk change."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.main import create_app
from backend.runs import RunNotFoundError, load_run
from backend.store import serving_layout
from models.base import DataSpec
from models.checkpoint import CONFIG_FILE, read_json, save_model, write_json
from models.registry import get_family

API = "/api/v1"
RUN = "tiny"


def test_models_load_lazily_into_a_bounded_cache(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    for name in ("copy-a", "copy-b"):
        folder = fresh_home / "runs" / name
        shutil.copytree(fresh_home / "runs" / RUN, folder)
        write_json(folder / CONFIG_FILE, {**read_json(folder / CONFIG_FILE), "run_id": name})
    with TestClient(create_app(settings_for(fresh_home, model_cache_size=2))) as c:
        models = c.app.state.run_store.models
        assert len(models) == 0 and c.get(f"{API}/runs").status_code == 200 and len(models) == 0
        for name in (RUN, "copy-a", "copy-b"):
            assert c.get(f"{API}/runs/{name}/decode.png?z=0,0,0,0").status_code == 200
        assert len(models) == 2 and RUN not in models and "copy-b" in models
        for name in ("copy-a", RUN):  # copy-a used again: copy-b is now the least recently used
            assert c.get(f"{API}/runs/{name}/decode.png?z=0,0,0,1").status_code == 200
        assert len(models) == 2 and "copy-a" in models and RUN in models


def test_the_folder_names_the_run_and_a_corrupt_report_says_so(fresh_home: Path,
                                                               settings_for: Callable[..., Settings]) -> None:
    shutil.copytree(fresh_home / "runs" / RUN, fresh_home / "runs" / "copied")  # config.json still says "tiny"
    (fresh_home / "runs" / RUN / "metrics.json").write_text("{bad")
    with TestClient(create_app(settings_for(fresh_home))) as c:
        copied = c.get(f"{API}/runs/copied")
        assert copied.status_code == 200 and copied.json()["run_id"] == "copied"
        assert c.get(f"{API}/runs/copied/decode.png?z=0,0,0,0").status_code == 200
        run = c.get(f"{API}/runs/{RUN}")
        assert run.status_code == 200 and run.json()["metrics"] is None
        report = c.get(f"{API}/runs/{RUN}/metrics")  # says why there is none, without the server's path
        assert report.status_code == 404 and report.headers["content-type"] == "application/problem+json"
        assert "has a metrics.json that is not valid JSON" in report.json()["detail"]
        assert str(fresh_home) not in report.text


def test_new_weights_on_disk_are_reloaded(fresh_home: Path, settings_for: Callable[..., Settings],
                                          problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        url = f"{API}/runs/{RUN}/decode.png?z=0.5,0,0,0"
        others = [f"{API}/runs/{RUN}/{view}" for view in ("traversal.png?dims=0&steps=3", "reconstruct.png?items=2")]
        old_version = c.get(f"{API}/runs/{RUN}").json()["version"]
        old = c.get(url)
        old_tags = [c.get(u).headers["etag"] for u in others]
        model, _ = load_run(fresh_home, RUN)  # retrain stand-in: change the weights, save the run again
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.5)
        header = read_json(fresh_home / "runs" / RUN / CONFIG_FILE)
        save_model(model, fresh_home / "runs" / RUN, {k: v for k, v in header.items() if k != "weights_sha256"})
        new_version = c.get(f"{API}/runs/{RUN}").json()["version"]
        assert new_version != old_version
        new = c.get(url)
        assert new.status_code == 200 and new.content != old.content and new.headers["etag"] != old.headers["etag"]
        assert c.get(url, headers={"If-None-Match": old.headers["etag"]}).status_code == 200
        for u, tag in zip(others, old_tags, strict=True):  # every view's old ETag is stale: new images
            assert c.get(u, headers={"If-None-Match": tag}).status_code == 200
        assert c.app.state.run_store.models.get(RUN).version == new_version
        problem(c.get(f"{url}&v={old_version}"), 409, new_version)


def test_cpu_serving_layout_puts_decoder_convs_channels_last_with_the_same_bits() -> None:
    # a conv VAE on 64x64 images (random weights); passes of 16 and 32 rows, the executor's CPU pass sizes
    spec = get_family("vae")
    model = spec.build(spec.config({"latent_dim": 10}), DataSpec((1, 64, 64), 100, "bernoulli")).eval()
    served = serving_layout(copy.deepcopy(model), torch.device("cpu"))
    # (type, channels-first?) of each conv whose weight has more than one channel in dim 1 (with one, the two
    # layouts are the same strides)
    layout = {(type(m).__name__, m.weight.is_contiguous()) for m in served.modules()
              if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d) and m.weight.shape[1] > 1}
    assert layout == {("Conv2d", True), ("ConvTranspose2d", False)}
    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for rows in (16, 32):
            x, z = torch.rand(rows, 1, 64, 64, generator=generator), torch.randn(rows, 10, generator=generator)
            assert torch.equal(served.decode(z), model.decode(z))
            assert torch.equal(served.encode(x).mean, model.encode(x).mean)


def test_a_run_deleted_while_its_model_loads_is_404_not_a_broken_run(fresh_home: Path,
                                                                       settings_for: Callable[..., Settings]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        store = c.app.state.run_store
        record = store.record(RUN)
        shutil.rmtree(fresh_home / "runs" / RUN)  # between reading its record and loading its weights
        with pytest.raises(RunNotFoundError, match="no run 'tiny'"):
            store.load(record)
