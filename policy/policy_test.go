package policy_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/migrate"
	"github.com/trustgate/trustgate/policy"
)

// TestPermissionsMatchSchema keeps policy.Permissions, the @can directives
// of the admin schema and the rules of policy.csv naming the same permissions.
func TestPermissionsMatchSchema(t *testing.T) {
	schema, err := os.ReadFile(filepath.Join("..", "graph", "admin.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	var inSchema []policy.Permission
	for _, m := range regexp.MustCompile(`@can\(action: "([a-z_]+:[a-z_]+)"\)`).FindAllStringSubmatch(string(schema), -1) {
		if p := policy.Permission(m[1]); !slices.Contains(inSchema, p) {
			inSchema = append(inSchema, p)
		}
	}
	all := policy.Permissions()
	for _, p := range inSchema {
		if !slices.Contains(all, p) {
			t.Errorf("@can(action: %q) in admin.graphqls is not in policy.Permissions", p)
		}
	}
	for _, p := range all {
		if !slices.Contains(inSchema, p) {
			t.Errorf("policy.Permissions has %q, which no admin field checks", p)
		}
	}
	csv, err := os.ReadFile("policy.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(csv), "\n") {
		f := strings.Split(line, ",")
		if len(f) != 4 || strings.TrimSpace(f[0]) != "p" {
			continue
		}
		role, res, act := strings.TrimSpace(f[1]), strings.TrimSpace(f[2]), strings.TrimSpace(f[3])
		if !policy.ValidRole(role) {
			t.Errorf("policy.csv: unknown role %q", role)
		}
		if res == "*" && act == "*" {
			continue
		}
		if p := policy.Permission(res + ":" + act); !slices.Contains(all, p) {
			t.Errorf("policy.csv: %s is granted %q, which nothing checks (a typo?)", role, p)
		}
	}
}

func newEnforcer(t *testing.T) (*database.DB, *policy.Enforcer) {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrate.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	e, err := policy.New(ctx, db.Ent)
	if err != nil {
		t.Fatal(err)
	}
	return db, e
}

func grant(t *testing.T, db *database.DB, e *policy.Enforcer, subject, role, domain string) {
	t.Helper()
	ctx := context.Background()
	if err := db.Tx(ctx, func(tx *ent.Tx) error {
		_, err := policy.Grant(ctx, tx, subject, role, domain, "test", time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDomains(t *testing.T) {
	db, e := newEnforcer(t)
	grant(t, db, e, "ak_a", "admin", "app_a")
	grant(t, db, e, "ak_all", "auditor", policy.AllDomains)

	for _, c := range []struct {
		name            string
		subject, domain string
		perm            policy.Permission
		want            bool
	}{
		{"a grant holds in its application", "ak_a", "app_a", policy.SettingsUpdate, true},
		{"a grant does not reach another application", "ak_a", "app_b", policy.UsersRead, false},
		{"an application grant does not reach server-wide operations", "ak_a", policy.AllDomains, policy.AuditRead, false},
		{"a grant in * holds in every application", "ak_all", "app_b", policy.EventsRead, true},
		{"a grant in * holds server-wide", "ak_all", policy.AllDomains, policy.AuditRead, true},
		{"a grant in * gives only its role's permissions", "ak_all", "app_b", policy.SettingsUpdate, false},
		{"no grant, nothing", "ak_none", "app_a", policy.SelfRead, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := e.Allowed(c.subject, c.domain, c.perm); got != c.want {
				t.Fatalf("Allowed(%s, %s, %s) = %v, want %v", c.subject, c.domain, c.perm, got, c.want)
			}
		})
	}
	t.Run("Granted lists exactly the allowed permissions", func(t *testing.T) {
		got := e.Granted("ak_all", "app_b")
		for _, p := range policy.Permissions() {
			if slices.Contains(got, p) != e.Allowed("ak_all", "app_b", p) {
				t.Errorf("%s: Granted and Allowed disagree", p)
			}
		}
	})
	t.Run("a revocation applies after a reload", func(t *testing.T) {
		ctx := context.Background()
		if err := db.Tx(ctx, func(tx *ent.Tx) error { _, err := policy.Revoke(ctx, tx, "ak_a", "admin", "app_a"); return err }); err != nil {
			t.Fatal(err)
		}
		if err := e.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if e.Allowed("ak_a", "app_a", policy.UsersRead) {
			t.Fatal("still allowed after the revocation")
		}
	})
}
