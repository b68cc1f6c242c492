"""GAN Playground: `python app.py`, then open http://127.0.0.1:7860.

GRADIO_SERVER_NAME and GRADIO_SERVER_PORT choose the address; GAN_PLAYGROUND_MAX_JOBS caps the
training jobs running at once; GAN_PLAYGROUND_SESSION_GRACE_S is how long a closed page's jobs live on.
The shipped models are the checkpoints/ folder beside this file.
"""

from pathlib import Path

from gan_playground.ui import build_app, launch

demo = build_app(checkpoints=Path(__file__).resolve().with_name("checkpoints"))

if __name__ == "__main__":
    try:
        launch(demo)
    finally:
        demo.ctx.close()
