package graph

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/trustgate/trustgate/internal/apierr"
)

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// pageSize validates first.
func pageSize(first *int) (int, error) {
	if first == nil {
		return defaultPageSize, nil
	}
	if *first < 0 || *first > maxPageSize {
		return 0, apierr.Invalid("first", "must be between 0 and 500")
	}
	return *first, nil
}

// keyset decodes a cursor into the (time, id) position after which a page starts.
func keyset(after *entgql.Cursor[string]) (time.Time, string, bool, error) {
	if after == nil {
		return time.Time{}, "", false, nil
	}
	s, ok := after.Value.(string)
	if !ok {
		return time.Time{}, "", false, apierr.Invalid("after", "not a cursor from this list")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || after.ID == "" {
		return time.Time{}, "", false, apierr.Invalid("after", "not a cursor from this list")
	}
	return t, after.ID, true, nil
}

// cursorOf encodes the keyset position of a node.
func cursorOf(t time.Time, id string) entgql.Cursor[string] {
	return entgql.Cursor[string]{ID: id, Value: t.UTC().Format(time.RFC3339Nano)}
}

// page cuts nodes (fetched with limit n+1, newest first) into a page.
func page[N any, E any](nodes []N, n int, key func(N) (time.Time, string), edge func(N, entgql.Cursor[string]) E) ([]E, *entgql.PageInfo[string]) {
	info := &entgql.PageInfo[string]{}
	if len(nodes) > n {
		nodes = nodes[:n]
		info.HasNextPage = true
	}
	edges := make([]E, len(nodes))
	for i, nd := range nodes {
		c := cursorOf(key(nd))
		edges[i] = edge(nd, c)
		if i == 0 {
			info.StartCursor = &c
		}
		if i == len(nodes)-1 {
			info.EndCursor = &c
		}
	}
	return edges, info
}

// wantsTotal reports whether the connection's totalCount was selected, so a
// count over millions of rows runs only when someone asks for it.
func wantsTotal(ctx context.Context) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == "totalCount" {
			return true
		}
	}
	return false
}
