"""The app as an MCP server (GRADIO_MCP_SERVER=True, as `python app.py --mcp` sets it): the tools an
assistant drives, described with their arguments' ranges, and nothing of the page's own wiring.

Tools come from the public endpoints (gan_playground/ui/tools.py); the page-internal ones are
`api_visibility="undocumented"`: still callable by gradio_client, but no tool."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

pytest.importorskip("mcp")
import httpx  # noqa: E402
from conftest import connect, serving_app  # noqa: E402

from gan_playground.ui import API_NAMES  # noqa: E402
from gan_playground.ui.spec import TABS  # noqa: E402

PER_TAB = ("start", "status", "stop", "resume_checkpoint", "load_checkpoint", "pull_hub")
TOOLS = {
    *(f"{t.key}_{a}" for t in TABS for a in PER_TAB),
    "acgan_interpolate", "aae_interpolate", "wgan_interpolate", "acgan_class_grid", "aae_class_grid",
    "acgan_class_by_z", "aae_class_by_z", "aae_decode_point", "aae_latent_plane", "lab_heatmap", "lab_step",
    "acgan_sample", "aae_sample", "wgan_sample",
}
TINY = {"variant": "wgan-gp", "dataset": "toy-8gaussians", "steps": 20_000, "batch_size": 64, "seed": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("GRADIO_MCP_SERVER", "True")  # what Gradio reads when launch() is not told
    try:
        with serving_app(tmp_path_factory, max_jobs=1, grace_s=0.5) as app:
            yield app
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def schema(server) -> dict[str, dict]:
    answer = httpx.get(server[1] + "gradio_api/mcp/schema", timeout=30)
    assert answer.status_code == 200, answer.text
    return {tool["name"]: tool for tool in answer.json()}


def test_the_tools_are_the_ones_an_assistant_needs_and_no_internal_endpoint(schema):
    assert set(schema) == TOOLS
    internal = {f"{t.key}_{a}" for t in TABS for a in ("init", "poll", "choose_variant", "checkpoints", "runs",
                                                          "explore_info", "pause", "resume", "save", "download")}
    internal |= {"lab_compare_poll", "lab_compare_start", "lab_speed", "lab_layers", "aae_select_point",
                 "acgan_random_seeds"}
    assert internal <= set(API_NAMES) and not internal & set(schema)
    assert not [n for n in schema if n[-1].isdigit()]  # no `start_1`: each is named after its api_name


def test_each_tool_says_what_it_does_and_each_argument_its_range(schema):
    for name, tool in schema.items():
        assert len(tool["description"]) > 60, name
        for arg, prop in tool["inputSchema"]["properties"].items():
            assert prop.get("description"), f"{name}({arg}) has no description"
    start = schema["lab_start"]["inputSchema"]["properties"]
    assert "'wgan', 'wgan-gp', 'wgan-div', 'wgan-lp'" in start["variant"]["description"]
    assert "1 to 20,000" in start["steps"]["description"]  # the Lab's own cap (GAN_PLAYGROUND_LAB_MAX_STEPS)
    assert "1 to 1,024" in start["batch_size"]["description"]
    assert "Range 0 to 10,000. Default 0.1. Only wgan-gp uses it." in start["lambda_gp"]["description"]
    assert "1 to 10,000,000" in schema["acgan_start"]["inputSchema"]["properties"]["steps"]["description"]
    assert "lab_status" in schema["lab_start"]["description"]
    assert "2 to 32" in schema["wgan_interpolate"]["inputSchema"]["properties"]["n_frames"]["description"]
    assert "'0' to '9'" in schema["acgan_class_grid"]["inputSchema"]["properties"]["cls"]["description"]
    assert "USER/NAME" in schema["aae_pull_hub"]["inputSchema"]["properties"]["repo_id"]["description"]
    assert "shipped:" in schema["acgan_load_checkpoint"]["inputSchema"]["properties"]["checkpoint"]["description"]


def test_the_page_internal_endpoints_stay_callable_by_gradio_client(server):
    client = connect(server[1])
    assert len(client.predict(api_name="/lab_init")) > 5
    assert len(client.predict(api_name="/lab_poll")) > 10  # the README's client example polls it


async def _drive_the_lab(url: str) -> list[str]:
    """Through the MCP protocol itself: list the tools, start a Lab run, poll its status, stop it."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    def text(result) -> str:
        assert not result.isError, result.content
        return " ".join(c.text for c in result.content if c.type == "text")

    seen = []
    async with streamable_http_client(url + "gradio_api/mcp/") as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            assert {t.name for t in (await session.list_tools()).tools} == TOOLS
            seen.append(text(await session.call_tool("lab_start", TINY)))
            deadline = time.monotonic() + 60
            while True:
                status = text(await session.call_tool("lab_status", {}))
                if "Losses at step" in status or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.3)
            seen.append(status)
            seen.append(text(await session.call_tool("lab_stop", {})))
            seen.append(text(await session.call_tool("lab_status", {})))
    return seen


def test_an_mcp_client_starts_polls_and_stops_a_lab_run(server):
    started, training, stopped, after = asyncio.run(_drive_the_lab(server[1]))
    assert "Starting" in started and "wgan-gp on toy-8gaussians" in started
    assert "Training wgan-gp on toy-8gaussians" in training and "/ 20,000" in training, training
    assert "loss_d" in training and "wasserstein" in training and "**" not in training
    assert "Stopped" in stopped and after.startswith("Stopped")
    assert not server[0].ctx.sessions.active_jobs()
    # a visitor's page is another page: it sees none of the assistant's runs
    assert connect(server[1]).predict(api_name="/lab_status").startswith("No run in this tab")


def test_a_checkpoint_loads_by_its_hub_id_within_the_pulls_deadline(server, tmp_path, monkeypatch):
    """The page's loader by Hub id (`/<tab>_pull_hub`, the `lab_pull_hub` tool) against the fake Hub of
    test_hub.py on 127.0.0.1: anonymous, then explorable; a Hub that never answers ends at the pull's
    deadline with one message."""
    from test_hub import REPO, _silent, serving

    import gan_playground as gp

    folder = tmp_path / "wgan-gp-toy"
    gp.train("wgan-gp", dataset="toy-8gaussians", steps=3, batch_size=16, device="cpu", toy_width=16).save(folder)
    with serving(folder, monkeypatch, tmp_path) as hub:
        monkeypatch.setenv("HF_TOKEN", "hf_the_servers_own")  # never sent for a visitor
        client = connect(server[1])
        message = client.predict(REPO, "", api_name="/lab_pull_hub")[0]
        assert message.startswith(f"Loaded **{REPO}**: wgan-gp on toy-8gaussians, step 3"), message
        assert hub.auth and all(a is None for a in hub.auth)
        assert Path(client.predict(api_name="/lab_heatmap")).stat().st_size > 1000  # explored: the pulled one
        hub.answers["model.safetensors"] = _silent
        monkeypatch.setenv("GAN_PLAYGROUND_PULL_TIMEOUT_S", "2")
        start = time.monotonic()
        message = client.predict(REPO, "", api_name="/lab_pull_hub")[0]
        assert message.startswith("⚠") and "2 s" in message, message
        assert time.monotonic() - start < 10
