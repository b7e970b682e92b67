// Command signinevents is the load driver of the sign-in history benchmark
// (docs/BENCHMARKS.md): against a running trustgate server and its
// PostgreSQL database, it times first pages of signInEvents filtered by user,
// by application and time window, and by IP (p50/p90/p99 over many requests
// with realistic filter values sampled from the table), a second page through
// a cursor, and the streamed CSV export (rows/s, with the server's resident
// memory sampled from /metrics while it streams).
//
//	go run ./bench/signinevents -url http://127.0.0.1:18080 -key sk_… \
//	    -db 'postgres://…/tgbench?sslmode=disable' -requests 2000
//
// The database is only read, to pick the users, IPs and times to ask for.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/lib/pq"
)

func main() {
	var (
		base        = flag.String("url", "http://127.0.0.1:8080", "trustgate base URL")
		key         = flag.String("key", os.Getenv("TRUSTGATE_BENCH_KEY"), "sk_ key with events:read in the application")
		dbURL       = flag.String("db", os.Getenv("TRUSTGATE_DATABASE_URL"), "postgres:// URL of the server's database (read to sample filter values)")
		appID       = flag.String("app", "", "application id (default: the one with the most events)")
		requests    = flag.Int("requests", 2000, "requests per query scenario")
		concurrency = flag.Int("concurrency", 1, "requests in flight at once")
		first       = flag.Int("first", 50, "page size")
		export      = flag.Bool("export", true, "also time the CSV export of the whole application")
		window      = flag.Duration("window", 24*time.Hour, "time window of the app + time window scenario")
		sqlOnly     = flag.Bool("sql", false, "time the scenarios' SQL straight against -db instead of through the server (what the database costs alone)")
	)
	flag.Parse()
	if *key == "" || *dbURL == "" {
		fmt.Fprintln(os.Stderr, "signinevents: -key and -db are required")
		os.Exit(2)
	}
	ctx := context.Background()
	b, err := newBench(ctx, *base, *key, *dbURL, *appID)
	if err != nil {
		fmt.Fprintln(os.Stderr, "signinevents:", err)
		os.Exit(1)
	}
	fmt.Printf("application %s: %d events from %s to %s\n", b.app, b.total, b.min.Format(time.RFC3339), b.max.Format(time.RFC3339))
	fmt.Printf("%d requests per scenario, %d in flight, first: %d\n\n", *requests, *concurrency, *first)
	fmt.Printf("%-34s %8s %8s %8s %8s %8s %9s\n", "scenario", "p50", "p90", "p99", "max", "req/s", "avg rows")
	scenarios := []scenario{
		{"by user", func(r *rand.Rand) (int, time.Duration, error) {
			return b.page(map[string]any{"userId": pick(r, b.users)}, *first, nil)
		}},
		{"by app + " + window.String() + " window", func(r *rand.Rand) (int, time.Duration, error) {
			from := b.min.Add(time.Duration(r.Int64N(int64(b.max.Sub(b.min) - *window))))
			return b.page(map[string]any{"from": from, "to": from.Add(*window)}, *first, nil)
		}},
		{"by IP", func(r *rand.Rand) (int, time.Duration, error) {
			return b.page(map[string]any{"ipAddress": pick(r, b.ips)}, *first, nil)
		}},
		{"by identifier (email)", func(r *rand.Rand) (int, time.Duration, error) {
			return b.page(map[string]any{"identifier": pick(r, b.emails)}, *first, nil)
		}},
		{"by app, failures only", func(r *rand.Rand) (int, time.Duration, error) {
			return b.page(map[string]any{"outcome": "failure"}, *first, nil)
		}},
		{"by app, next page via cursor", func(r *rand.Rand) (int, time.Duration, error) {
			to := b.min.Add(time.Duration(r.Int64N(int64(b.max.Sub(b.min)))))
			var cursor string
			if _, _, err := b.page(map[string]any{"to": to}, *first, &cursor); err != nil {
				return 0, 0, err
			}
			return b.pageAfter(map[string]any{"to": to}, *first, cursor)
		}},
	}
	if *sqlOnly {
		scenarios = b.sqlScenarios(ctx, *first, *window)
	}
	for _, sc := range scenarios {
		st, err := runScenario(*requests, *concurrency, sc.run)
		if err != nil {
			fmt.Fprintf(os.Stderr, "signinevents: %s: %v\n", sc.name, err)
			os.Exit(1)
		}
		fmt.Printf("%-34s %8s %8s %8s %8s %8.0f %9.1f\n", sc.name, ms(st.p(50)), ms(st.p(90)), ms(st.p(99)), ms(st.p(100)), st.rate, st.avgRows)
	}
	if *export && !*sqlOnly {
		fmt.Println()
		if err := b.exportAll(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "signinevents: export:", err)
			os.Exit(1)
		}
	}
}

// scenario is one kind of request, run many times with random filter values.
type scenario struct {
	name string
	run  func(r *rand.Rand) (int, time.Duration, error)
}

type bench struct {
	base, key, app     string
	client             *http.Client
	db                 *sql.DB
	total              int64
	min, max           time.Time
	users, ips, emails []string
}

func newBench(ctx context.Context, base, key, dbURL, app string) (*bench, error) {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return nil, err
	}
	if app == "" {
		if err := db.QueryRowContext(ctx, `SELECT application_id FROM sign_in_events GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`).Scan(&app); err != nil {
			return nil, fmt.Errorf("finding the application: %w", err)
		}
	}
	b := &bench{base: strings.TrimRight(base, "/"), key: key, app: app, db: db,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Minute}}
	if err := db.QueryRowContext(ctx, `SELECT count(*), min(at), max(at) FROM sign_in_events WHERE application_id = $1`, app).
		Scan(&b.total, &b.min, &b.max); err != nil {
		return nil, err
	}
	// A sample of events weights busy users and IPs by their traffic, as the
	// questions of an auditor are; distinct values keep both ends in.
	sample := func(col string) ([]string, error) {
		rows, err := db.QueryContext(ctx, `SELECT DISTINCT `+col+` FROM sign_in_events TABLESAMPLE SYSTEM (0.05)
			WHERE application_id = $1 AND `+col+` IS NOT NULL LIMIT 5000`, app)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no %s values in the sample", col)
		}
		return out, rows.Err()
	}
	if b.users, err = sample("user_id"); err != nil {
		return nil, err
	}
	if b.ips, err = sample("ip_address"); err != nil {
		return nil, err
	}
	// dev seed-events names its users user<N>@example.com; the identifier
	// filter takes the clear email and matches its keyed digest.
	for i := range 2000 {
		b.emails = append(b.emails, fmt.Sprintf("user%d@example.com", i*7))
	}
	return b, nil
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

const pageQuery = `query($app: ID!, $first: Int, $after: Cursor, $w: SignInEventWhereInput) {
  signInEvents(applicationId: $app, first: $first, after: $after, where: $w) {
    edges { node { id at userId identifier clientId ipAddress kind strategy outcome reason } }
    pageInfo { hasNextPage endCursor }
  }
}`

// page fetches a first page; when cursor is not nil it receives endCursor.
func (b *bench) page(where map[string]any, first int, cursor *string) (int, time.Duration, error) {
	return b.fetch(map[string]any{"app": b.app, "first": first, "w": where}, cursor)
}

func (b *bench) pageAfter(where map[string]any, first int, after string) (int, time.Duration, error) {
	return b.fetch(map[string]any{"app": b.app, "first": first, "after": after, "w": where}, nil)
}

func (b *bench) fetch(vars map[string]any, cursor *string) (int, time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"query": pageQuery, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, b.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.key)
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	var out struct {
		Data struct {
			SignInEvents struct {
				Edges    []json.RawMessage
				PageInfo struct{ EndCursor *string }
			}
		}
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 {
		return 0, 0, fmt.Errorf("status %d: %.300s", resp.StatusCode, raw)
	}
	if cursor != nil && out.Data.SignInEvents.PageInfo.EndCursor != nil {
		*cursor = *out.Data.SignInEvents.PageInfo.EndCursor
	}
	return len(out.Data.SignInEvents.Edges), d, nil
}

type stats struct {
	lat     []time.Duration
	rate    float64
	avgRows float64
}

func (s stats) p(q float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	i := int(float64(len(s.lat))*q/100+0.5) - 1
	return s.lat[max(0, min(i, len(s.lat)-1))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + "ms"
}

// runScenario runs n requests on c workers after a short warm-up.
func runScenario(n, c int, run func(r *rand.Rand) (int, time.Duration, error)) (stats, error) {
	warm := rand.New(rand.NewPCG(1, 1))
	for range min(n/10, 50) {
		if _, _, err := run(warm); err != nil {
			return stats{}, err
		}
	}
	var (
		mu    sync.Mutex
		st    stats
		rows  int
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w)+2, 7))
			for range next {
				k, d, err := run(r)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				st.lat = append(st.lat, d)
				rows += k
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	st.rate = float64(n) / time.Since(start).Seconds()
	st.avgRows = float64(rows) / float64(n)
	slices.Sort(st.lat)
	return st, first
}

// exportAll streams the whole application's history as CSV, counting rows,
// while a sampler reads the server's resident memory every 100 ms.
func (b *bench) exportAll(ctx context.Context) error {
	before, err := b.rss()
	if err != nil {
		return fmt.Errorf("reading process_resident_memory_bytes from /metrics: %w", err)
	}
	peak := before
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if v, err := b.rss(); err == nil && v > peak {
					peak = v
				}
			}
		}
	})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/admin/sign-in-events.csv?applicationId="+url.QueryEscape(b.app), nil)
	req.Header.Set("Authorization", "Bearer "+b.key)
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		close(stop)
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		close(stop)
		raw, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	var firstByte time.Duration
	rows, bytesRead := -1, int64(0) // the header line is not a row
	br := bufio.NewReaderSize(resp.Body, 1<<20)
	for {
		line, err := br.ReadSlice('\n')
		if firstByte == 0 && len(line) > 0 {
			firstByte = time.Since(start)
		}
		bytesRead += int64(len(line))
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 && line[len(line)-1] == '\n' {
			rows++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			close(stop)
			wg.Wait()
			return fmt.Errorf("after %d rows: %w", rows, err)
		}
	}
	el := time.Since(start)
	close(stop)
	wg.Wait()
	fmt.Printf("CSV export of the whole application: %d rows, %.1f MB in %s: %.0f rows/s, first byte after %s\n",
		rows, float64(bytesRead)/1e6, el.Round(time.Millisecond), float64(rows)/el.Seconds(), firstByte.Round(time.Millisecond))
	fmt.Printf("server resident memory: %.1f MB before, %.1f MB peak while streaming (+%.1f MB)\n",
		before/1e6, peak/1e6, (peak-before)/1e6)
	if rows != int(b.total) {
		return fmt.Errorf("exported %d rows, the table holds %d", rows, b.total)
	}
	return nil
}

// rss reads process_resident_memory_bytes from the server's /metrics.
func (b *bench) rss() (float64, error) {
	resp, err := b.client.Get(b.base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, errors.New("no process_resident_memory_bytes")
}

// eventColumns are the columns the server's signInEvents query reads.
const eventColumns = `id, at, application_id, sign_in_id, user_id, identifier, identifier_digest, client_id, ip_address, user_agent, kind, strategy, outcome, reason`

// sqlScenarios are the scenarios as the SQL the server sends (ent's query
// for the same filters, newest first, limit first+1), timed at the database.
func (b *bench) sqlScenarios(ctx context.Context, first int, window time.Duration) []scenario {
	page := func(where string, args ...any) (int, time.Duration, error) {
		q := `SELECT ` + eventColumns + ` FROM sign_in_events WHERE application_id = $1` + where +
			` ORDER BY at DESC, id DESC LIMIT ` + strconv.Itoa(first+1)
		start := time.Now()
		rows, err := b.db.QueryContext(ctx, q, append([]any{b.app}, args...)...)
		if err != nil {
			return 0, 0, err
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		return min(n, first), time.Since(start), rows.Err()
	}
	span := func(r *rand.Rand, w time.Duration) time.Time {
		return b.min.Add(time.Duration(r.Int64N(int64(b.max.Sub(b.min) - w))))
	}
	return []scenario{
		{"SQL by user", func(r *rand.Rand) (int, time.Duration, error) { return page(` AND user_id = $2`, pick(r, b.users)) }},
		{"SQL by app + " + window.String() + " window", func(r *rand.Rand) (int, time.Duration, error) {
			from := span(r, window)
			return page(` AND at >= $2 AND at < $3`, from, from.Add(window))
		}},
		{"SQL by IP", func(r *rand.Rand) (int, time.Duration, error) { return page(` AND ip_address = $2`, pick(r, b.ips)) }},
		{"SQL by app, failures only", func(r *rand.Rand) (int, time.Duration, error) { return page(` AND outcome = 'failure'`) }},
		{"SQL by app, page after a cursor", func(r *rand.Rand) (int, time.Duration, error) {
			// The keyset predicate of graph/lists.go for a random position.
			var at time.Time
			var id string
			to := span(r, 0)
			if err := b.db.QueryRowContext(ctx, `SELECT at, id FROM sign_in_events WHERE application_id = $1 AND at < $2
				ORDER BY at DESC, id DESC LIMIT 1`, b.app, to).Scan(&at, &id); err != nil {
				return 0, 0, err
			}
			return page(` AND at <= $2 AND (at < $2 OR id < $3)`, at, id)
		}},
	}
}
