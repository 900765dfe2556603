"""Sample-quality metrics: mode coverage on toy mixtures, Parzen-window log-likelihood, FID and KID."""
