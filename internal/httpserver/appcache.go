package httpserver

import (
	"context"
	"sync"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/internal/settings"
)

// appCacheTTL is how long a replica answers from an application it read:
// how late it may see a change another replica made.
const appCacheTTL = time.Second

// appCache holds applications by publishable key, with their parsed
// settings, for appCacheTTL. Every frontend request names its application;
// reading it and parsing its settings each time cost a tenth of the CPU of a
// Client Trust prepare and a fifth of a session token's. A change to any
// application made through this process's ent client (admin mutations, the
// CLI, tests) empties the cache as it is written and again as it commits.
// Only applications found
// are kept, so unknown keys cannot grow it.
type appCache struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]appEntry
	// gen counts clears: a read that began before one is not kept.
	gen uint64
}

type appEntry struct {
	app   *ent.Application
	set   settings.Settings
	until time.Time
}

func newAppCache(c *ent.Client) *appCache {
	ac := &appCache{now: time.Now, entries: map[string]appEntry{}}
	c.Application.Use(func(next ent.Mutator) ent.Mutator {
		return hook.ApplicationFunc(func(ctx context.Context, m *ent.ApplicationMutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			ac.clear()
			if tx, terr := m.Tx(); terr == nil {
				// Again once committed: a request may have read the old row
				// in between.
				tx.OnCommit(func(next ent.Committer) ent.Committer {
					return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
						err := next.Commit(ctx, tx)
						ac.clear()
						return err
					})
				})
			}
			return v, err
		})
	})
	return ac
}

// A miss is where a read of the database for a key began.
type miss struct {
	gen uint64
	at  time.Time
}

// get returns the entry of key, or the miss to hand to put once the
// application has been read.
func (c *appCache) get(key string) (appEntry, bool, miss) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.until) {
		return appEntry{}, false, miss{c.gen, now}
	}
	return e, true, miss{}
}

// put keeps what a read that began at m found, unless a change cleared the
// cache since (the read may predate it); the entry lives appCacheTTL from
// when the read began.
func (c *appCache) put(key string, m miss, app *ent.Application, set settings.Settings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.gen != c.gen {
		return
	}
	c.entries[key] = appEntry{app: app, set: set, until: m.at.Add(appCacheTTL)}
}

func (c *appCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.gen++
}
