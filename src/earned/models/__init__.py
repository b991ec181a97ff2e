"""Models: the Model protocol, the provider registry and the price table.

Adapters live in `earned.models.openai` (OpenAI and every OpenAI-compatible server) and
`earned.models.anthropic` (the `anthropic` extra). Test doubles live in `earned.testing`.
"""

from earned.models._base import (
    Model,
    allow_model_requests,
    block_model_requests,
    check_requests_allowed,
)
from earned.models._registry import ModelFactory, ModelRegistry, default_registry, infer_model
from earned.models.fallback import FallbackModel
from earned.models.pricing import DEFAULT_PRICES, Price, PriceTable

__all__ = [
    "DEFAULT_PRICES",
    "FallbackModel",
    "Model",
    "ModelFactory",
    "ModelRegistry",
    "Price",
    "PriceTable",
    "allow_model_requests",
    "block_model_requests",
    "check_requests_allowed",
    "default_registry",
    "infer_model",
]
