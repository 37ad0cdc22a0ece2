"""djaws: generate a production-grade Django + Next.js project for AWS."""

__version__ = "0.3.0"
