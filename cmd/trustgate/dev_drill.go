package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsettings "github.com/trustgate/trustgate/internal/settings"
)

func init() {
	commands["dev stuffing-drill"] = command{
		summary: `Replays a leaked-credential list (some valid) from rotating client IPs against a running
trustgate while legitimate users keep signing in from their trusted devices, then reports account
takeovers without a code (must be 0), codes sent, lockouts, rate-limited requests, and the legitimate
users' success rate and latency. The server must list the drill's source as a trusted proxy
(TRUSTGATE_TRUSTED_PROXIES=127.0.0.1/32) so the X-Forwarded-For addresses count as client IPs.
All traffic goes to --url; the rotating addresses are documentation ranges and are only header values.`,
		settings: []string{"log-level", "log-format"},
		flags: func(fs *flag.FlagSet) map[string]*string {
			return map[string]*string{
				"url":       fs.String("url", "http://127.0.0.1:8080", "base URL of the trustgate to drill (loopback only)"),
				"key":       fs.String("key", "", "an owner sk_ key (required)"),
				"users":     fs.String("users", "100", "accounts to create"),
				"leaked":    fs.String("leaked", "2000", "entries in the leaked list"),
				"valid":     fs.String("valid", "0.3", "share of leaked entries with the right password"),
				"attackers": fs.String("attackers", "8", "concurrent attacker workers"),
				"legit":     fs.String("legit", "2", "concurrent legitimate users"),
				"duration":  fs.String("duration", "30s", "how long the attack runs"),
				"ips":       fs.String("ips", "500", "distinct attacker IPs to rotate through"),
			}
		},
		run: stuffingDrill,
	}
}

// drillReport is what the drill measured.
type drillReport struct {
	Attempts           int64            `json:"attempts"`
	TakeoversNoCode    int64            `json:"takeoversWithoutCode"`
	ValidPasswordHeld  int64            `json:"validPasswordStoppedByClientTrust"`
	CodesRequested     int64            `json:"codesRequested"`
	CodesSent          int64            `json:"codesSent"`
	CodeGuesses        int64            `json:"codeGuesses"`
	CodeGuessesRight   int64            `json:"codeGuessesRight"`
	Lockouts           int64            `json:"lockoutResponses"`
	RateLimited        int64            `json:"rateLimited"`
	Errors             map[string]int64 `json:"attackErrorsByCode"`
	LegitAttempts      int64            `json:"legitAttempts"`
	LegitSuccess       int64            `json:"legitSuccess"`
	LegitSuccessRate   float64          `json:"legitSuccessRate"`
	LegitErrors        map[string]int64 `json:"legitErrorsByCode"`
	LegitP50Ms         float64          `json:"legitP50Ms"`
	LegitP99Ms         float64          `json:"legitP99Ms"`
	AttackRatePerSec   float64          `json:"attackRequestsPerSecond"`
	DurationSeconds    float64          `json:"durationSeconds"`
	Users              int              `json:"users"`
	LeakedEntries      int              `json:"leakedEntries"`
	ValidLeakedEntries int              `json:"validLeakedEntries"`
}

type drillClient struct {
	base, pk string
	http     *http.Client
}

type drillResp struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r drillResp) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// post sends one GraphQL request; headers carry the client token, IP and auth.
func (c *drillClient) post(ctx context.Context, headers map[string]string, query string, vars map[string]any) (drillResp, http.Header, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return drillResp{}, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.pk != "" {
		req.Header.Set("X-Publishable-Key", c.pk)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return drillResp{}, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out drillResp
	if err := json.Unmarshal(raw, &out); err != nil {
		return drillResp{}, resp.Header, fmt.Errorf("status %d: %.200s", resp.StatusCode, raw)
	}
	return out, resp.Header, nil
}

func intFlag(f map[string]*string, name string) (int, error) {
	n, err := strconv.Atoi(*f[name])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--%s %q: want a whole number", name, *f[name])
	}
	return n, nil
}

func stuffingDrill(ctx context.Context, _ *Config, log *slog.Logger, f map[string]*string, _ io.Reader, out output) error {
	if *f["key"] == "" {
		return errors.New("--key (an owner sk_ key) is required")
	}
	if !strings.HasPrefix(*f["url"], "http://127.") && !strings.HasPrefix(*f["url"], "http://localhost") && !strings.HasPrefix(*f["url"], "http://[::1]") {
		return errors.New("--url must be a loopback address: the drill only attacks a local server")
	}
	var nums [5]int
	for i, name := range []string{"users", "leaked", "attackers", "legit", "ips"} {
		n, err := intFlag(f, name)
		if err != nil {
			return err
		}
		nums[i] = n
	}
	users, leaked, attackers, legit, ipCount := nums[0], nums[1], nums[2], nums[3], max(nums[4], 1)
	validShare, err := strconv.ParseFloat(*f["valid"], 64)
	if err != nil || validShare < 0 || validShare > 1 {
		return fmt.Errorf("--valid %q: want a share between 0 and 1", *f["valid"])
	}
	duration, err := time.ParseDuration(*f["duration"])
	if err != nil {
		return fmt.Errorf("--duration: %w", err)
	}
	rep, err := runDrill(ctx, log, drillPlan{
		base: strings.TrimRight(*f["url"], "/"), key: *f["key"], users: users, leaked: leaked, validShare: validShare,
		attackers: attackers, legit: legit, duration: duration, ips: ipCount,
	})
	if err != nil {
		return err
	}
	text, _ := json.MarshalIndent(rep, "", "  ")
	return out.print(map[string]any{"report": rep}, string(text))
}

type drillPlan struct {
	base, key                       string
	users, leaked, attackers, legit int
	ips                             int
	validShare                      float64
	duration                        time.Duration
}

type drillUser struct {
	email, password, ip string
	// mu makes the user's home device sign in once at a time, as a person
	// does; clientToken is its X-Client-Token, replaced by each sign-in that
	// completes on it (see newestToken).
	mu          sync.Mutex
	clientToken string
}

// newestToken is the client token a device sends next: the X-Client-Token of
// the server's last answer when it sent one (a new client's, or the one a
// completed sign-in rotated to), else cur. The SDK's header mode does the same.
func newestToken(h http.Header, cur string) string {
	if t := h.Get("X-Client-Token"); t != "" {
		return t
	}
	return cur
}

func runDrill(ctx context.Context, log *slog.Logger, p drillPlan) (*drillReport, error) {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	admin := &drillClient{base: p.base, http: hc}
	auth := map[string]string{"Authorization": "Bearer " + p.key}
	// A fresh application with today's defaults: Client Trust on, Clerk's rate limits.
	r, _, err := admin.post(ctx, auth, `mutation($n: String!) { createApplication(input: {name: $n}) { id publishableKey } }`,
		map[string]any{"n": "stuffing drill " + time.Now().UTC().Format(time.RFC3339)})
	if err != nil || r.code() != "" {
		return nil, fmt.Errorf("creating the drill application: %v %s", err, r.code())
	}
	app := r.Data["createApplication"].(map[string]any)
	appID, pk := app["id"].(string), app["publishableKey"].(string)
	// Legitimate users sign in from 10.x-looking home networks; give the set-up generous limits, then restore.
	setLimits := func(signIns, attempts, codeSends, identifier int) error {
		r, _, err := admin.post(ctx, auth, `mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { clientTrustEnabled } }`,
			map[string]any{"id": appID, "in": map[string]any{"rateLimitSignInsPerIp": signIns, "rateLimitAttemptsPerIp": attempts,
				"rateLimitCodeSendsPerIp": codeSends, "rateLimitIdentifierPerMinute": identifier}})
		if err == nil && r.code() != "" {
			err = errors.New(r.code())
		}
		return err
	}
	if err := setLimits(100000, 100000, 100000, 100000); err != nil {
		return nil, fmt.Errorf("raising limits for set-up: %w", err)
	}
	client := &drillClient{base: p.base, pk: pk, http: hc}
	accounts := make([]*drillUser, p.users)
	log.Info("drill: creating accounts and their home devices", "users", p.users)
	for i := range accounts {
		u := &drillUser{email: fmt.Sprintf("user%d@drill.example", i), password: fmt.Sprintf("drill-%d-%x", i, rand.Uint64()),
			ip: fmt.Sprintf("198.51.100.%d", 1+i%250)}
		r, _, err := admin.post(ctx, auth, `mutation($id: ID!, $in: CreateUserInput!) { createUser(applicationId: $id, input: $in) { id } }`,
			map[string]any{"id": appID, "in": map[string]any{"emailAddress": u.email, "password": u.password}})
		if err != nil || r.code() != "" {
			return nil, fmt.Errorf("creating user %d: %v %s", i, err, r.code())
		}
		// The home device: the user's own client, trusted by completing the
		// Client Trust step once, with the code read from the dev outbox.
		if err := homeDevice(ctx, client, admin, auth, appID, u); err != nil {
			return nil, fmt.Errorf("home device of user %d: %w", i, err)
		}
		accounts[i] = u
	}
	// Back to Clerk's budgets for the attack: every limit the set-up raised.
	def := appsettings.Defaults(time.Now(), nil)
	if err := setLimits(def.RateLimitSignInsPerIP, def.RateLimitAttemptsPerIP, def.RateLimitCodeSendsPerIP, def.RateLimitIdentifierPerMinute); err != nil {
		return nil, fmt.Errorf("restoring default limits: %w", err)
	}

	// The leaked list: a share of real credentials, the rest wrong passwords or unknown accounts.
	type cred struct{ email, password string }
	list := make([]cred, p.leaked)
	valid := 0
	for i := range list {
		u := accounts[rand.IntN(len(accounts))]
		switch x := rand.Float64(); {
		case x < p.validShare:
			list[i] = cred{u.email, u.password}
			valid++
		case x < p.validShare+(1-p.validShare)/2:
			list[i] = cred{u.email, "Summer2024!" + strconv.Itoa(i)}
		default:
			list[i] = cred{fmt.Sprintf("ghost%d@drill.example", i), "hunter2hunter2"}
		}
	}
	rep := &drillReport{Errors: map[string]int64{}, LegitErrors: map[string]int64{}, Users: p.users, LeakedEntries: p.leaked, ValidLeakedEntries: valid}
	var errMu sync.Mutex
	countErr := func(code string) {
		errMu.Lock()
		rep.Errors[code]++
		errMu.Unlock()
	}
	ctx, cancel := context.WithTimeout(ctx, p.duration)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	log.Info("drill: attack starts", "attackers", p.attackers, "legit", p.legit, "duration", p.duration)
	for w := 0; w < p.attackers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				c := list[int(i)%len(list)]
				ip := fmt.Sprintf("203.0.%d.%d", 113+int(i/250)%2, 1+int(i)%250)
				if p.ips < 500 {
					ip = fmt.Sprintf("203.0.113.%d", 1+int(i)%p.ips)
				}
				h := map[string]string{"X-Forwarded-For": ip} // a new device every time: no client token
				atomic.AddInt64(&rep.Attempts, 1)
				r, hdr, err := client.post(ctx, h, `mutation($i: String!, $p: String!) { signInCreate(input: {identifier: $i, password: $p}) { id status createdSessionId } }`,
					map[string]any{"i": c.email, "p": c.password})
				if err != nil {
					if ctx.Err() == nil {
						countErr("transport")
					}
					continue
				}
				switch code := r.code(); code {
				case "":
				case "too_many_requests":
					atomic.AddInt64(&rep.RateLimited, 1)
					continue
				case "user_locked":
					atomic.AddInt64(&rep.Lockouts, 1)
					continue
				default:
					countErr(code)
					continue
				}
				si := r.Data["signInCreate"].(map[string]any)
				switch si["status"] {
				case "complete":
					atomic.AddInt64(&rep.TakeoversNoCode, 1)
				case "needs_client_trust", "needs_second_factor":
					atomic.AddInt64(&rep.ValidPasswordHeld, 1)
					// The attacker asks for the code (it goes to the victim) and guesses.
					tok := hdr.Get("X-Client-Token")
					h["X-Client-Token"] = tok
					atomic.AddInt64(&rep.CodesRequested, 1)
					pr, _, err := client.post(ctx, h, `mutation($id: ID!) { signInPrepareSecondFactor(id: $id, input: {strategy: "email_code"}) { status } }`,
						map[string]any{"id": si["id"]})
					if err == nil && pr.code() == "" {
						atomic.AddInt64(&rep.CodesSent, 1)
					} else if pr.code() == "too_many_requests" {
						atomic.AddInt64(&rep.RateLimited, 1)
					}
					for g := 0; g < 3 && ctx.Err() == nil; g++ {
						atomic.AddInt64(&rep.CodeGuesses, 1)
						ar, _, err := client.post(ctx, h, `mutation($id: ID!, $c: String!) { signInAttemptSecondFactor(id: $id, input: {strategy: "email_code", code: $c}) { status } }`,
							map[string]any{"id": si["id"], "c": fmt.Sprintf("%06d", rand.IntN(1000000))})
						if err != nil {
							break
						}
						if ar.code() == "" {
							atomic.AddInt64(&rep.CodeGuessesRight, 1)
							atomic.AddInt64(&rep.TakeoversNoCode, 1)
							break
						}
						if ar.code() == "too_many_requests" {
							atomic.AddInt64(&rep.RateLimited, 1)
							break
						}
					}
				}
			}
		}()
	}
	var latMu sync.Mutex
	var lat []time.Duration
	// People sign in now and then, not in a loop: users take turns, each at
	// most once every 5 s, like someone opening the app on their phone.
	pause := max(200*time.Millisecond, 5*time.Second*time.Duration(p.legit)/time.Duration(max(1, len(accounts))))
	var legitNext atomic.Int64
	for w := 0; w < p.legit; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ctx.Err() == nil {
				u := accounts[int(legitNext.Add(1)-1)%len(accounts)]
				u.mu.Lock()
				h := map[string]string{"X-Client-Token": u.clientToken, "X-Forwarded-For": u.ip}
				t0 := time.Now()
				r, hdr, err := client.post(ctx, h, `mutation($i: String!, $p: String!) { signInCreate(input: {identifier: $i, password: $p}) { status } }`,
					map[string]any{"i": u.email, "p": u.password})
				d := time.Since(t0)
				u.clientToken = newestToken(hdr, u.clientToken)
				u.mu.Unlock()
				if ctx.Err() != nil {
					return
				}
				atomic.AddInt64(&rep.LegitAttempts, 1)
				switch {
				case err != nil:
					errMu.Lock()
					rep.LegitErrors["transport"]++
					errMu.Unlock()
				case r.code() != "":
					errMu.Lock()
					rep.LegitErrors[r.code()]++
					errMu.Unlock()
				case r.Data["signInCreate"].(map[string]any)["status"] == "complete":
					atomic.AddInt64(&rep.LegitSuccess, 1)
				default:
					errMu.Lock()
					rep.LegitErrors["status:"+fmt.Sprint(r.Data["signInCreate"].(map[string]any)["status"])]++
					errMu.Unlock()
				}
				latMu.Lock()
				lat = append(lat, d)
				latMu.Unlock()
				time.Sleep(pause)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	rep.DurationSeconds = elapsed.Seconds()
	rep.AttackRatePerSec = float64(rep.Attempts) / elapsed.Seconds()
	if rep.LegitAttempts > 0 {
		rep.LegitSuccessRate = float64(rep.LegitSuccess) / float64(rep.LegitAttempts)
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		rep.LegitP50Ms = float64(lat[len(lat)/2].Microseconds()) / 1000
		rep.LegitP99Ms = float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds()) / 1000
	}
	return rep, nil
}

// homeDevice creates a client for u that completed a sign-in (so it is
// trusted), and keeps its token in u: password, then the Client Trust code
// read from the dev outbox with the admin key.
func homeDevice(ctx context.Context, c, admin *drillClient, auth map[string]string, appID string, u *drillUser) error {
	h := map[string]string{"X-Forwarded-For": u.ip}
	r, hdr, err := c.post(ctx, h, `mutation($i: String!, $p: String!) { signInCreate(input: {identifier: $i, password: $p}) { id status } }`,
		map[string]any{"i": u.email, "p": u.password})
	if err != nil || r.code() != "" {
		return fmt.Errorf("password: %v %s", err, r.code())
	}
	u.clientToken = newestToken(hdr, "")
	h["X-Client-Token"] = u.clientToken
	si := r.Data["signInCreate"].(map[string]any)
	if si["status"] == "complete" {
		return nil
	}
	if r, _, err := c.post(ctx, h, `mutation($id: ID!) { signInPrepareSecondFactor(id: $id, input: {strategy: "email_code"}) { status } }`,
		map[string]any{"id": si["id"]}); err != nil || r.code() != "" {
		return fmt.Errorf("prepare: %v %s", err, r.code())
	}
	ob, _, err := admin.post(ctx, auth, `query($id: ID!) { outbox(applicationId: $id, first: 50) { to text } }`, map[string]any{"id": appID})
	if err != nil || ob.code() != "" {
		return fmt.Errorf("reading the dev outbox (run the server with TRUSTGATE_DEV=true): %v %s", err, ob.code())
	}
	code := ""
	for _, m := range ob.Data["outbox"].([]any) {
		msg := m.(map[string]any)
		if msg["to"] == u.email {
			code = codeRe6(msg["text"].(string))
			break
		}
	}
	if code == "" {
		return errors.New("no code in the outbox")
	}
	r, hdr, err = c.post(ctx, h, `mutation($id: ID!, $c: String!) { signInAttemptSecondFactor(id: $id, input: {strategy: "email_code", code: $c}) { status } }`,
		map[string]any{"id": si["id"], "c": code})
	if err != nil || r.code() != "" {
		return fmt.Errorf("attempt: %v %s", err, r.code())
	}
	u.clientToken = newestToken(hdr, u.clientToken)
	return nil
}

// codeRe6 finds the first run of exactly six digits.
func codeRe6(s string) string {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		if run == 6 {
			return s[i-6 : i]
		}
		run = 0
	}
	if run == 6 {
		return s[len(s)-6:]
	}
	return ""
}
