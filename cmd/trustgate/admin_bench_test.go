package main

import (
	"testing"

	"github.com/trustgate/trustgate/internal/pgtest"
)

// BenchmarkAdminSignInEventsPage measures one filtered first page of
// signInEvents through the whole server (HTTP, GraphQL, @can, ent) on
// PostgreSQL; bench/signinevents measures the same at 10 million events.
func BenchmarkAdminSignInEventsPage(b *testing.B) {
	s := mustStart(b, pgtest.URL(b))
	all := s.seedHistory(b, s.appID, 20000)
	_, key := s.createKey(b, "auditor", s.appID)
	user := *all[len(all)/2].UserID
	q := `query($app: ID!, $w: SignInEventWhereInput) { signInEvents(applicationId: $app, first: 50, where: $w) {
	  edges { node { id at userId identifier clientId ipAddress kind strategy outcome reason } } pageInfo { hasNextPage endCursor } } }`
	v := vars{"app": s.appID, "w": vars{"userId": user}}
	b.ResetTimer()
	for b.Loop() {
		if r := s.adminAs(key, q, v); len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
}
