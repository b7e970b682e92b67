package main

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trustgate/trustgate/ent/apikey"
	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/ent/backupcode"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/roleassignment"
	entsession "github.com/trustgate/trustgate/ent/session"
	"github.com/trustgate/trustgate/ent/totp"
	"github.com/trustgate/trustgate/ent/trustedclient"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/graph"
)

// adminOpName names a field as adminOps does: a root field by its name, a
// field of another type as type.field with the type's first letter lower
// case (application.settings).
func adminOpName(typ, field string) string {
	if typ == "Query" || typ == "Mutation" {
		return field
	}
	return strings.ToLower(typ[:1]) + typ[1:] + "." + field
}

// secretLike matches field names that would hand out a stored secret or its
// stored form (a password hash, a code's or token's digest, a sealed key).
var secretLike = regexp.MustCompile(`(?i)hash|digest|sealed|private|secret`)

// shownOnce are the fields that hand a secret to the one who just made it,
// once: the authenticator's seed at enrolment (the user's own session).
var shownOnce = []string{"TOTP.secret"}

// TestAdminMatrixCoversTheSchema reads the executable schema: every root
// field is either a frontend field (signin.graphqls) or carries @can, and
// every field that carries @can, at the root or nested, is an operation of
// adminOps, which TestAdminRoleMatrix calls as every role in its own and in
// another application. A field added later without a guard, or without a row
// in the matrix, fails here. No output type has a field that reads as a
// stored secret.
func TestAdminMatrixCoversTheSchema(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	inMatrix := map[string]bool{}
	for _, op := range adminOps() {
		inMatrix[op.name] = true
	}
	guarded := map[string]bool{}
	names := make([]string, 0, len(schema.Types))
	for name := range schema.Types {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		typ := schema.Types[name]
		if typ.BuiltIn || typ.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		root := name == "Query" || name == "Mutation"
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			op := adminOpName(name, f.Name)
			can := f.Directives.ForName("can") != nil
			src := ""
			if f.Position != nil && f.Position.Src != nil {
				src = f.Position.Src.Name
			}
			switch {
			case root && src == "signin.graphqls":
				if can {
					t.Errorf("%s.%s: a frontend field carries @can", name, f.Name)
				}
				continue
			case root && !can:
				t.Errorf("%s.%s (%s) is no frontend field and carries no @can: nothing authorizes it", name, f.Name, src)
			}
			if can {
				guarded[op] = true
				if !inMatrix[op] {
					t.Errorf("%s.%s carries @can but adminOps has no operation %q: the role matrix does not call it", name, f.Name, op)
				}
			}
			if secretLike.MatchString(f.Name) && !slices.Contains(shownOnce, name+"."+f.Name) {
				t.Errorf("%s.%s: an output field named like a stored secret", name, f.Name)
			}
		}
	}
	for op := range inMatrix {
		if !guarded[op] {
			t.Errorf("adminOps has %q, which names no field carrying @can", op)
		}
	}
}

// adminState is what the admin operations can change, of one application
// (or of every one, for ""), as JSON text: its row, its users and their
// factors, addresses, sessions and trusted clients, its API keys and the
// role assignments in it or of its keys. Times a mere use refreshes (a key's
// last use) are left out.
func (s *server) adminState(tb testing.TB, appID string) string {
	tb.Helper()
	ctx := context.Background()
	db := s.m.DB.Ent
	var (
		apps    []predicate.Application
		users   []predicate.User
		keys    []predicate.APIKey
		grants  []predicate.RoleAssignment
		ofUsers = user.ApplicationIDNEQ("")
	)
	if appID != "" {
		apps = append(apps, application.ID(appID))
		users = append(users, user.ApplicationID(appID))
		ofUsers = user.ApplicationID(appID)
		keys = append(keys, apikey.ApplicationID(appID))
		ids := db.APIKey.Query().Where(apikey.ApplicationID(appID)).IDsX(ctx)
		grants = append(grants, roleassignment.Or(roleassignment.Domain(appID), roleassignment.SubjectIn(ids...)))
	}
	state := map[string]any{
		"applications":  db.Application.Query().Where(apps...).Order(application.ByID()).AllX(ctx),
		"users":         db.User.Query().Where(users...).Order(user.ByID()).AllX(ctx),
		"emails":        db.EmailAddress.Query().Where(emailaddress.HasUserWith(ofUsers)).Order(emailaddress.ByID()).AllX(ctx),
		"phones":        db.PhoneNumber.Query().Where(phonenumber.HasUserWith(ofUsers)).Order(phonenumber.ByID()).AllX(ctx),
		"totps":         db.Totp.Query().Where(totp.HasUserWith(ofUsers)).Order(totp.ByID()).AllX(ctx),
		"backupCodes":   db.BackupCode.Query().Where(backupcode.HasUserWith(ofUsers)).Order(backupcode.ByID()).AllX(ctx),
		"sessions":      db.Session.Query().Where(entsession.HasUserWith(ofUsers)).Order(entsession.ByID()).AllX(ctx),
		"trustedClient": db.TrustedClient.Query().Where(trustedclient.HasUserWith(ofUsers)).Order(trustedclient.ByID()).AllX(ctx),
		"apiKeys":       db.APIKey.Query().Where(keys...).Order(apikey.ByID()).AllX(ctx),
		"roles":         db.RoleAssignment.Query().Where(grants...).Order(roleassignment.ByID()).AllX(ctx),
	}
	raw, err := json.Marshal(state)
	if err != nil {
		tb.Fatal(err)
	}
	var generic map[string][]map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		tb.Fatal(err)
	}
	for _, rows := range generic {
		for _, r := range rows {
			delete(r, "last_used_at")
			delete(r, "edges")
		}
	}
	out, _ := json.Marshal(generic)
	return string(out)
}
