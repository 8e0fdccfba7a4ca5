// Placeholder until the dashboard lands; replaced by the esbuild bundle step.
