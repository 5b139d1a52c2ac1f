"""clbplan: a declarative plan/apply engine for Alibaba Cloud Classic Load Balancer backends."""

__version__ = "0.1.0"
