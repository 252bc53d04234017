package store

import "context"

// creatorKey is the context key of a channel creation's creator.
type creatorKey struct{}

// WithCreator returns ctx naming creator as whoever creates channels with
// it: CreateChannel and CreateChannelOnce record it with the channel, and
// Describe reports it in PortInfo.Creator. The creator travels in the
// context, beside the other facts of the request, so that naming one
// changed no method of Store; "" (or no WithCreator) is an anonymous
// creation, as on a deployment where creation is open.
func WithCreator(ctx context.Context, creator string) context.Context {
	return context.WithValue(ctx, creatorKey{}, creator)
}

// CreatorOf returns the creator named in ctx by WithCreator, or "".
func CreatorOf(ctx context.Context) string {
	c, _ := ctx.Value(creatorKey{}).(string)
	return c
}
