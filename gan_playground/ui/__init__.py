"""The Gradio app: `build_app()` returns the Blocks; `launch()` serves it (see app.py).

Endpoints (every event the page uses has an api_name; `<tab>` is one of `acgan`, `aae`, `wgan`,
`lab`). Calls from one `gradio_client.Client` share one session, and a session sees only its own jobs.

Training (all tabs):
- `/<tab>_start` (variant, dataset, steps, batch_size, seed, *settings) -> status, message, ...:
  validates (a bad value fails with a message naming it, and nothing starts), loads the data,
  starts a background job and returns at once. `settings` are the tab's model settings in the
  order of `/<tab>_start`'s parameters (view_api lists them); those the chosen variant lacks are ignored.
- `/<tab>_poll` () -> status, loss plot, score plot, samples (picture, or points on `lab`),
  [critic heat map on `lab`], message: reads the job's snapshot (the page's gr.Timer calls it once a second).
- `/<tab>_pause`, `/<tab>_resume`, `/<tab>_stop` () -> status.
- `/<tab>_save` () -> message: saves a checkpoint folder under runs/ui/<session>/.
- `/<tab>_resume_checkpoint` (checkpoint, lr_factor, steps) -> status: trains on from a saved checkpoint.
- `/<tab>_checkpoints` () -> the checkpoint choices: this session's saves and autosaves (a running job
  autosaves every `GAN_PLAYGROUND_AUTOSAVE_S`, default 120 s), then the shipped ones.
- `/<tab>_explore_info` () -> which model Explore looks at, and its classes.

Exploring (the session's model in training, else its loaded checkpoint, else a shipped one):
- `/<tab>_load_checkpoint` (folder name under checkpoints/ or a save, uploaded files) -> message.
- `/<tab>_push_hub` (repo_id, token, private) -> message; `/<tab>_pull_hub` (repo_id) -> message.
- `/acgan_interpolate`, `/aae_interpolate`, `/wgan_interpolate` (seed0, seed1, mode, steps, class0, class1)
  -> frames (gallery), GIF, GIF file; `/<tab>_random_seeds` () -> two seeds.
- `/acgan_class_grid`, `/aae_class_grid` (class, seed) -> picture;
  `/acgan_class_by_z`, `/aae_class_by_z` (columns, seed) -> picture.
- `/aae_latent_scatter` () -> scatter data (x, y, label), info, x and y slider ranges;
  `/aae_decode_point` (x, y, class) -> picture; `/aae_latent_plane` (class) -> picture.
- `/lab_heatmap` () -> the critic's heat map with real and generated points.
"""

from gan_playground.ui.app import API_NAMES, build_app, launch

__all__ = ["API_NAMES", "build_app", "launch"]
