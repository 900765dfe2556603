"""Networks (one nn.Module each); nothing here knows about training. Nets register themselves in
`translate.registry.NETS` (imported on first lookup)."""
