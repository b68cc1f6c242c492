"""GAN Playground: `python app.py`, then open http://127.0.0.1:7860.

`python app.py --mcp` (or GRADIO_MCP_SERVER=True) also serves the app's tools to MCP clients at
http://127.0.0.1:7860/gradio_api/mcp/ (README: "Use it from an MCP client").

GRADIO_SERVER_NAME and GRADIO_SERVER_PORT choose the address; GAN_PLAYGROUND_MAX_JOBS caps the
training jobs running at once; GAN_PLAYGROUND_SESSION_GRACE_S is how long a closed page's jobs live on.
The shipped models are the checkpoints/ folder beside this file.
"""

import signal
import sys
from pathlib import Path

from gan_playground.ui import build_app, launch

demo = build_app(checkpoints=Path(__file__).resolve().with_name("checkpoints"))

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a stop (Spaces, systemd, docker) runs the cleanup below
    try:
        launch(demo, **({"mcp_server": True} if "--mcp" in sys.argv[1:] else {}))
    finally:
        demo.ctx.close()  # stops the jobs, removes uploads and temporary files
