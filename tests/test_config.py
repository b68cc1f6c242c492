import pytest

from gan_playground.config import RunConfig, build_config, field_specs, parse_set_options
from gan_playground.errors import ConfigError
from gan_playground.models.wgan import WGANClipConfig, WGANGPConfig


def test_defaults_and_overrides_from_strings():
    cfg = build_config(WGANGPConfig, {"lr": "3e-4", "betas": "0.5,0.99", "n_critic": "3", "arch": "dcgan"})
    assert cfg.lr == pytest.approx(3e-4) and cfg.betas == (0.5, 0.99) and cfg.n_critic == 3 and cfg.arch == "dcgan"
    assert build_config(WGANGPConfig).lambda_gp == 10.0


@pytest.mark.parametrize("key,value,fragment", [
    ("lr", "0", "[1e-07, 1]"), ("lr", "-1", "lr="), ("lr", "nan", "lr="), ("lr", "inf", "lr="),
    ("lr", "fast", "a number"), ("n_critic", "2.5", "an integer"), ("n_critic", "0", "[1, 100]"),
    ("betas", "0.5", "two numbers"), ("betas", "0.5,1.5", "two numbers"), ("arch", "resnet", "one of mlp, dcgan"),
    ("latent_dim", "100000", "[1, 1024]"),
])
def test_bad_values_name_the_allowed_ones(key, value, fragment):
    with pytest.raises(ConfigError, match="not valid") as err:
        build_config(WGANGPConfig, {key: value})
    assert fragment in str(err.value)


def test_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError, match="Unknown setting 'clip'.*lambda_gp"):
        build_config(WGANGPConfig, {"clip": "0.1"})  # clip belongs to wgan, not wgan-gp
    assert build_config(WGANClipConfig, {"clip": "0.1"}).clip == 0.1


def test_run_config_ranges():
    for bad in ({"batch_size": 0}, {"batch_size": -5}, {"batch_size": 10**9}, {"steps": 0}, {"device": "tpu"},
                {"seed": -1}):
        with pytest.raises(ConfigError):
            build_config(RunConfig, bad)


def test_set_options_parse():
    assert parse_set_options(["lr=1e-4", " betas = 0.5,0.9"]) == {"lr": "1e-4", "betas": "0.5,0.9"}
    with pytest.raises(ConfigError, match="key=value"):
        parse_set_options(["lr"])


def test_field_specs_expose_ranges_and_help_for_the_ui():
    specs = {s.name: s for s in field_specs(WGANGPConfig)}
    assert specs["lr"].kind == "float" and specs["lr"].low == 1e-7 and specs["lr"].help
    assert specs["arch"].kind == "choice" and specs["arch"].choices == ("mlp", "dcgan")
    assert specs["betas"].kind == "pair" and not specs["width"].ui
