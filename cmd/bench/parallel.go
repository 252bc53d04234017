package main

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// inParallel calls f(ctx, 0..n-1), at most limit at a time, and returns
// the first error (or ctx's). After an error it starts no more calls, and
// the ctx the calls in flight were given ends.
func inParallel(ctx context.Context, n, limit int, f func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return f(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
