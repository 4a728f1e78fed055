"""Publishing: the declared segments, and the atomic copy of gated candidates into `published`."""
