package main

import (
	"fmt"
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

// BenchmarkAdminUsersPage measures a page of 50 users with the fields the
// dashboard's users list asks for, on PostgreSQL.
func BenchmarkAdminUsersPage(b *testing.B) {
	s := mustStart(b, pgtest.URL(b))
	for i := range 50 {
		s.createUser(b, fmt.Sprintf("user%02d@example.com", i), fmt.Sprintf("+1555010%04d", i), "correct horse battery")
	}
	_, key := s.createKey(b, "support", s.appID)
	q := `query($app: ID!) { users(applicationId: $app, first: 50) { edges { node {
	  id username emailAddresses { id emailAddress verified } phoneNumbers { id phoneNumber verified reservedForSecondFactor }
	  primaryEmailAddressId primaryPhoneNumberId twoFactorEnabled locked lockoutExpiresInSeconds banned lastSignInAt createdAt } } } }`
	v := vars{"app": s.appID}
	b.ResetTimer()
	for b.Loop() {
		r := s.adminAs(key, q, v)
		if len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
		if n := len(r.data(b)["users"].(map[string]any)["edges"].([]any)); n != 50 {
			b.Fatalf("%d users on the page, want 50", n)
		}
	}
}
