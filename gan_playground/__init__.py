"""GAN Playground: train the classic GANs live and explore what they learned."""

__version__ = "0.1.0"
