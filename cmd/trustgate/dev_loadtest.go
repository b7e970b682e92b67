package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustgate/trustgate/internal/factor"
)

func init() {
	commands["dev loadtest"] = command{
		summary: `Measures the sign-in engine of a running trustgate as issue 3 asks and prints a report:
the raw argon2id hash rate of this machine at concurrency 4 (in this process, with the server's
parameters) against end-to-end password sign-ins per second at concurrency 4 on known devices,
measured in alternating rounds; the median latency of one sign-in against one hash; p50/p99 at
concurrency 8 of signInPrepareSecondFactor, signInAttemptSecondFactor and sessionTokenCreate; and a
mixed load at concurrency 8 (sign-ins, codes, tokens) whose errors must be zero; and the same mixed
load as a burst at concurrency 32, which the password-hash pool queues rather than refusing (on a
machine otherwise idle its errors are zero too; too_many_requests there means the pool could not start
a hash within 2 s). Start the server with
TRUSTGATE_DEV=true (codes are read from the dev outbox) and TRUSTGATE_TRUSTED_PROXIES=127.0.0.1/32
(each simulated user then comes from its own X-Forwarded-For address), with the same
TRUSTGATE_ARGON2_* settings as this command. It creates an application whose rate limits are lifted,
so that the engine is measured and not the limiter. Internal errors show here only as internal_error:
their cause is in the server's log.`,
		settings: []string{"log-level", "log-format", "argon2-memory-kib", "argon2-time", "hash-workers"},
		flags: func(fs *flag.FlagSet) map[string]*string {
			return map[string]*string{
				"url":    fs.String("url", "http://127.0.0.1:8080", "base URL of the trustgate to load (loopback only)"),
				"key":    fs.String("key", "", "an owner sk_ key (required)"),
				"n":      fs.String("n", "400", "requests per measured step (prepare, attempt, token; sign-ins and hashes per throughput run)"),
				"rounds": fs.String("rounds", "5", "alternating hash/sign-in rounds of the throughput comparison"),
				"pairs":  fs.String("pairs", "40", "single hash / single sign-in pairs of the latency comparison"),
				"mixed":  fs.String("mixed", "400", "flows of the mixed load at concurrency 8"),
				"burst":  fs.String("burst", "400", "flows of the same load at concurrency 32 (0: none)"),
			}
		},
		run: loadTestCmd,
	}
}

// The documents the SDK sends (web/sdk/operations.ts), so that the server
// resolves what a real frontend asks for.
const (
	loadSignInFields = `id status identifier clientTrustState
    supportedFirstFactors { strategy safeIdentifier emailAddressId phoneNumberId primary }
    supportedSecondFactors { strategy safeIdentifier emailAddressId phoneNumberId primary }
    firstFactorVerification { status strategy attempts expireAt }
    secondFactorVerification { status strategy attempts expireAt }
    createdSessionId`
	loadSignInCreate  = `mutation SignInCreate($input: SignInCreateInput!) { signInCreate(input: $input) { ` + loadSignInFields + ` } }`
	loadPrepareSecond = `mutation SignInPrepareSecondFactor($id: ID!, $input: PrepareFactorInput!) { signInPrepareSecondFactor(id: $id, input: $input) { ` + loadSignInFields + ` } }`
	loadAttemptSecond = `mutation SignInAttemptSecondFactor($id: ID!, $input: AttemptFactorInput!) { signInAttemptSecondFactor(id: $id, input: $input) { ` + loadSignInFields + ` } }`
	loadTokenCreate   = `mutation SessionTokenCreate($sessionId: ID!) { sessionTokenCreate(sessionId: $sessionId) { jwt expiresAt } }`
)

// Concurrencies issue 3 names, and a burst of four times the steps'
// (beyond the hashing pool's slots, which queues it rather than refusing it).
const (
	loadHashConc  = 4
	loadStepsConc = 8
	loadBurstConc = 32
)

// loadUser is one account of a load test, with the client it trusts once one
// of its sign-ins completed the Client Trust step.
type loadUser struct {
	email, ip   string
	clientToken string
}

// challenge is a sign-in on a new device that stopped at needs_client_trust.
type challenge struct {
	user        *loadUser
	clientToken string
	signInID    string
	code        string
}

// loadSession is a session and the client that owns it.
type loadSession struct {
	id, clientToken, ip string
}

// codeSource returns the newest Client Trust code sent to each of emails.
type codeSource func(ctx context.Context, emails []string) (map[string]string, error)

// loadRig drives one application of a running trustgate.
type loadRig struct {
	admin, client *drillClient
	auth          map[string]string
	appID         string
	// password is every user's password; phc its hash, imported into every
	// account (so that creating users costs no hash) and verified by the raw
	// hash measurement.
	password, phc string
	hasher        *factor.Hasher
	codes         codeSource
	// batch is how many codes the code source can return at once.
	batch  int
	probes probes

	mu    sync.Mutex
	users []*loadUser
	// free holds users no operation is using, so that two operations never
	// wait for codes to the same address at once.
	free chan *loadUser
}

// newLoadRig creates an application with lifted rate limits on the server at
// base, and a hasher with params for the raw hash measurement.
func newLoadRig(ctx context.Context, base, key string, params factor.Params, hashWorkers int, codes codeSource, batch int) (*loadRig, error) {
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	r := &loadRig{
		admin: &drillClient{base: base, http: hc}, auth: map[string]string{"Authorization": "Bearer " + key},
		password: "load-test correct horse battery", codes: codes, batch: batch, free: make(chan *loadUser, 1<<16),
	}
	// The raw rate is what the pool computes: a long queue wait, so that a
	// busy machine slows the measurement down instead of failing it.
	h, err := factor.NewHasher(factor.HasherConfig{Params: params, MaxConcurrent: hashWorkers, QueueWait: time.Minute})
	if err != nil {
		return nil, err
	}
	r.hasher = h
	if r.phc, err = h.Hash(ctx, r.password); err != nil {
		return nil, err
	}
	res, _, err := r.admin.post(ctx, r.auth, `mutation($n: String!) { createApplication(input: {name: $n}) { id publishableKey } }`,
		map[string]any{"n": "load test " + time.Now().UTC().Format(time.RFC3339Nano)})
	if err = gqlErr(res, err); err != nil {
		return nil, fmt.Errorf("creating the load-test application: %w", err)
	}
	app := res.Data["createApplication"].(map[string]any)
	r.appID = app["id"].(string)
	r.client = &drillClient{base: base, pk: app["publishableKey"].(string), http: hc}
	const lifted = 100_000 // the most updateAppSettings accepts
	res, _, err = r.admin.post(ctx, r.auth, `mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { clientTrustEnabled } }`,
		map[string]any{"id": r.appID, "in": map[string]any{"rateLimitSignInsPerIp": lifted, "rateLimitAttemptsPerIp": lifted,
			"rateLimitCodeSendsPerIp": lifted, "rateLimitIdentifierPerMinute": lifted, "rateLimitMessagesPerRecipientPerHour": lifted}})
	if err = gqlErr(res, err); err != nil {
		return nil, fmt.Errorf("lifting the rate limits: %w", err)
	}
	return r, nil
}

// gqlErr turns a transport error or a GraphQL error into an error.
func gqlErr(r drillResp, err error) error {
	if err != nil {
		return err
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("%s", r.code())
	}
	return nil
}

// addUsers creates users (verified email, the shared password) until there are n.
func (r *loadRig) addUsers(ctx context.Context, n int) error {
	r.mu.Lock()
	have := len(r.users)
	r.mu.Unlock()
	if have >= n {
		return nil
	}
	created := make([]*loadUser, n-have)
	res := runOps(ctx, 4, n-have, func(ctx context.Context, i int) error {
		k := have + i
		u := &loadUser{email: fmt.Sprintf("load%d@loadtest.example", k), ip: fmt.Sprintf("10.%d.%d.%d", 1+k>>16&0xff, k>>8&0xff, k&0xff)}
		res, _, err := r.admin.post(ctx, r.auth, `mutation($id: ID!, $in: CreateUserInput!) { createUser(applicationId: $id, input: $in) { id } }`,
			map[string]any{"id": r.appID, "in": map[string]any{"emailAddress": u.email, "emailVerified": true, "passwordHash": r.phc}})
		if err := gqlErr(res, err); err != nil {
			return fmt.Errorf("createUser: %w", err)
		}
		created[i] = u
		return nil
	})
	if err := res.err(); err != nil {
		return err
	}
	r.mu.Lock()
	r.users = append(r.users, created...)
	r.mu.Unlock()
	for _, u := range created {
		r.free <- u
	}
	return nil
}

// take returns n users no operation is using; give them back with release.
func (r *loadRig) take(ctx context.Context, n int) ([]*loadUser, error) {
	out := make([]*loadUser, 0, n)
	for len(out) < n {
		select {
		case u := <-r.free:
			out = append(out, u)
		case <-ctx.Done():
			r.release(out)
			return nil, ctx.Err()
		}
	}
	return out, nil
}

func (r *loadRig) release(users []*loadUser) {
	for _, u := range users {
		r.free <- u
	}
}

// trusted returns n users that have a trusted client, making more as needed.
func (r *loadRig) trusted(ctx context.Context, n int) ([]*loadUser, error) {
	if err := r.addUsers(ctx, n); err != nil {
		return nil, err
	}
	r.mu.Lock()
	var out, todo []*loadUser
	for _, u := range r.users {
		switch {
		case u.clientToken != "" && len(out) < n:
			out = append(out, u)
		case u.clientToken == "":
			todo = append(todo, u)
		}
	}
	r.mu.Unlock()
	for len(out) < n {
		k := min(n-len(out), len(todo), r.batch)
		// A user's client is trusted once a sign-in on it completes the Client Trust step.
		chs, err := r.challenges(ctx, todo[:k])
		if err != nil {
			return nil, err
		}
		if res := r.prepare(ctx, chs); res.err() != nil {
			return nil, res.err()
		}
		if err := r.fetchCodes(ctx, chs); err != nil {
			return nil, err
		}
		res, _ := r.attempt(ctx, chs)
		if err := res.err(); err != nil {
			return nil, err
		}
		out, todo = append(out, todo[:k]...), todo[k:]
	}
	return out, nil
}

// signIn posts signInCreate with the shared password from u's IP, on client
// (a new device when empty), and returns the sign-in and the token the
// client goes on with (a completed sign-in rotates it).
func (r *loadRig) signIn(ctx context.Context, u *loadUser, client string) (map[string]any, string, error) {
	h := map[string]string{"X-Forwarded-For": u.ip}
	if client != "" {
		h["X-Client-Token"] = client
	}
	res, hdr, err := r.client.post(ctx, h, loadSignInCreate, map[string]any{"input": map[string]any{"identifier": u.email, "password": r.password}})
	if err := gqlErr(res, err); err != nil {
		return nil, "", fmt.Errorf("signInCreate: %w", err)
	}
	return res.Data["signInCreate"].(map[string]any), newestToken(hdr, client), nil
}

// knownSignIn signs u in on its trusted client; it must complete.
func (r *loadRig) knownSignIn(ctx context.Context, u *loadUser) (loadSession, error) {
	r.mu.Lock()
	client := u.clientToken
	r.mu.Unlock()
	si, client, err := r.signIn(ctx, u, client)
	if err != nil {
		return loadSession{}, err
	}
	if si["status"] != "complete" {
		return loadSession{}, fmt.Errorf("signInCreate on a trusted client: status %v, want complete", si["status"])
	}
	r.mu.Lock()
	u.clientToken = client
	r.mu.Unlock()
	return loadSession{id: si["createdSessionId"].(string), clientToken: client, ip: u.ip}, nil
}

// challenge signs u in on a new device, which stops at needs_client_trust.
func (r *loadRig) challenge(ctx context.Context, u *loadUser) (*challenge, error) {
	si, tok, err := r.signIn(ctx, u, "")
	if err != nil {
		return nil, err
	}
	if si["status"] != "needs_client_trust" {
		return nil, fmt.Errorf("signInCreate on a new device: status %v, want needs_client_trust", si["status"])
	}
	return &challenge{user: u, clientToken: tok, signInID: si["id"].(string)}, nil
}

// challenges makes one challenge per user (not measured), at concurrency 4:
// set-up should not wait in the hash queue long enough to be refused
// (factor.DefaultQueueWait) when the machine is busy.
func (r *loadRig) challenges(ctx context.Context, users []*loadUser) ([]*challenge, error) {
	out := make([]*challenge, len(users))
	res := runOps(ctx, loadHashConc, len(users), func(ctx context.Context, i int) (err error) {
		for try := 0; ; try++ {
			out[i], err = r.challenge(ctx, users[i])
			// The server refuses a hash that waited too long for the pool
			// (too_many_requests); set-up tries again, measurements do not.
			if err == nil || !strings.HasSuffix(err.Error(), "too_many_requests") || try == 4 {
				return err
			}
			time.Sleep(time.Second)
		}
	})
	return out, res.err()
}

func (r *loadRig) prepareOne(ctx context.Context, c *challenge) error {
	res, _, err := r.client.post(ctx, map[string]string{"X-Client-Token": c.clientToken, "X-Forwarded-For": c.user.ip}, loadPrepareSecond,
		map[string]any{"id": c.signInID, "input": map[string]any{"strategy": "email_code"}})
	if err := gqlErr(res, err); err != nil {
		return fmt.Errorf("signInPrepareSecondFactor: %w", err)
	}
	if st := res.Data["signInPrepareSecondFactor"].(map[string]any)["clientTrustState"]; st != "pending" {
		return fmt.Errorf("signInPrepareSecondFactor: clientTrustState %v, want pending", st)
	}
	return nil
}

// attemptOne answers c's code; on success c's client is trusted and the
// sign-in has a session.
func (r *loadRig) attemptOne(ctx context.Context, c *challenge) (loadSession, error) {
	res, hdr, err := r.client.post(ctx, map[string]string{"X-Client-Token": c.clientToken, "X-Forwarded-For": c.user.ip}, loadAttemptSecond,
		map[string]any{"id": c.signInID, "input": map[string]any{"strategy": "email_code", "code": c.code}})
	if err := gqlErr(res, err); err != nil {
		return loadSession{}, fmt.Errorf("signInAttemptSecondFactor: %w", err)
	}
	c.clientToken = newestToken(hdr, c.clientToken)
	si := res.Data["signInAttemptSecondFactor"].(map[string]any)
	if si["status"] != "complete" {
		return loadSession{}, fmt.Errorf("signInAttemptSecondFactor: status %v, want complete", si["status"])
	}
	r.mu.Lock()
	c.user.clientToken = c.clientToken
	r.mu.Unlock()
	return loadSession{id: si["createdSessionId"].(string), clientToken: c.clientToken, ip: c.user.ip}, nil
}

func (r *loadRig) tokenOne(ctx context.Context, s loadSession) error {
	res, _, err := r.client.post(ctx, map[string]string{"X-Client-Token": s.clientToken, "X-Forwarded-For": s.ip}, loadTokenCreate,
		map[string]any{"sessionId": s.id})
	if err := gqlErr(res, err); err != nil {
		return fmt.Errorf("sessionTokenCreate: %w", err)
	}
	if jwt, _ := res.Data["sessionTokenCreate"].(map[string]any)["jwt"].(string); jwt == "" {
		return errors.New("sessionTokenCreate: no jwt")
	}
	return nil
}

// prepare sends every challenge's code at concurrency 8.
func (r *loadRig) prepare(ctx context.Context, chs []*challenge) opResult {
	return runOps(ctx, loadStepsConc, len(chs), func(ctx context.Context, i int) error { return r.prepareOne(ctx, chs[i]) })
}

// fetchCodes fills in the code of every challenge from the code source.
func (r *loadRig) fetchCodes(ctx context.Context, chs []*challenge) error {
	emails := make([]string, len(chs))
	for i, c := range chs {
		emails[i] = c.user.email
	}
	codes, err := r.codes(ctx, emails)
	if err != nil {
		return err
	}
	for _, c := range chs {
		if c.code = codes[c.user.email]; c.code == "" {
			return fmt.Errorf("no Client Trust code was sent to %s", c.user.email)
		}
	}
	return nil
}

// attempt answers every challenge at concurrency 8.
func (r *loadRig) attempt(ctx context.Context, chs []*challenge) (opResult, []loadSession) {
	out := make([]loadSession, len(chs))
	res := runOps(ctx, loadStepsConc, len(chs), func(ctx context.Context, i int) (err error) {
		out[i], err = r.attemptOne(ctx, chs[i])
		return err
	})
	return res, slices.DeleteFunc(out, func(s loadSession) bool { return s.id == "" })
}

// prepared returns n challenges whose codes were sent and are known (not
// measured), made in batches the code source can answer.
func (r *loadRig) prepared(ctx context.Context, users []*loadUser) ([]*challenge, error) {
	var out []*challenge
	for start := 0; start < len(users); start += r.batch {
		chs, err := r.challenges(ctx, users[start:min(len(users), start+r.batch)])
		if err != nil {
			return nil, err
		}
		if err := r.prepare(ctx, chs).err(); err != nil {
			return nil, err
		}
		if err := r.fetchCodes(ctx, chs); err != nil {
			return nil, err
		}
		out = append(out, chs...)
	}
	return out, nil
}

// hashes verifies the password against its hash n times at concurrency conc.
func (r *loadRig) hashes(ctx context.Context, conc, n int) opResult {
	return runOps(ctx, conc, n, func(ctx context.Context, _ int) error {
		ok, _, err := r.hasher.Verify(ctx, r.phc, r.password)
		if err == nil && !ok {
			err = errors.New("the password did not verify")
		}
		return err
	})
}

// knownSignIns signs users in on their trusted clients n times at
// concurrency conc, each user by one goroutine at a time.
func (r *loadRig) knownSignIns(ctx context.Context, users []*loadUser, conc, n int) opResult {
	var mu sync.Mutex
	idle := slices.Clone(users)
	return runOps(ctx, conc, n, func(ctx context.Context, _ int) error {
		mu.Lock()
		u := idle[0]
		idle = idle[1:]
		mu.Unlock()
		defer func() {
			mu.Lock()
			idle = append(idle, u)
			mu.Unlock()
		}()
		_, err := r.knownSignIn(ctx, u)
		return err
	})
}

// throughputRound is one side-by-side comparison at concurrency 4.
type throughputRound struct {
	HashesPerSec  float64 `json:"hashesPerSecond"`
	SignInsPerSec float64 `json:"signInsPerSecond"`
	Ratio         float64 `json:"ratio"`
	// HashSlotsBusy and SignInSlotsBusy are how many hashes ran, on average,
	// in the raw run and in the server during the sign-ins (when known).
	HashSlotsBusy   float64 `json:"hashSlotsBusy"`
	SignInSlotsBusy float64 `json:"signInSlotsBusy,omitempty"`
	// HashCPUMs and SignInCPUMs are the CPU time of this process per
	// operation (when known: the server runs in this process).
	HashCPUMs   float64 `json:"hashCpuMs,omitempty"`
	SignInCPUMs float64 `json:"signInCpuMs,omitempty"`
}

// probes are what a load test can see of the server besides its API: set
// when the server runs in the load test's own process.
type probes struct {
	// cpu returns the CPU time the process has used.
	cpu func() time.Duration
	// hashing returns how many password hashes the server runs now.
	hashing func() int
}

// measured runs fn while sampling running() every millisecond, and returns
// fn's result, the mean of the samples and the CPU time fn took (zero when
// unknown).
func (r *loadRig) measured(running func() int, fn func() opResult) (opResult, float64, time.Duration) {
	var cpu0 time.Duration
	if r.probes.cpu != nil {
		cpu0 = r.probes.cpu()
	}
	stop := make(chan struct{})
	var sum, samples int
	done := make(chan struct{})
	if running != nil {
		go func() {
			defer close(done)
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					sum += running()
					samples++
				}
			}
		}()
	} else {
		close(done)
	}
	res := fn()
	close(stop)
	<-done
	var cpu time.Duration
	if r.probes.cpu != nil {
		cpu = r.probes.cpu() - cpu0
	}
	return res, float64(sum) / float64(max(1, samples)), cpu
}

// throughput runs rounds of n raw hashes and n known-device sign-ins, both
// at concurrency 4, alternating which goes first, on users (≥ 8 trusted).
func (r *loadRig) throughput(ctx context.Context, users []*loadUser, rounds, n int) ([]throughputRound, error) {
	var out []throughputRound
	for i := range rounds {
		var t throughputRound
		var hr, sr opResult
		var hcpu, scpu time.Duration
		hashes := func() {
			hr, t.HashSlotsBusy, hcpu = r.measured(func() int { return r.hasher.Stats().Running }, func() opResult { return r.hashes(ctx, loadHashConc, n) })
		}
		signIns := func() {
			sr, t.SignInSlotsBusy, scpu = r.measured(r.probes.hashing, func() opResult { return r.knownSignIns(ctx, users, loadHashConc, n) })
		}
		if i%2 == 0 {
			hashes()
			signIns()
		} else {
			signIns()
			hashes()
		}
		if err := errors.Join(hr.err(), sr.err()); err != nil {
			return out, err
		}
		t.HashesPerSec, t.SignInsPerSec = hr.perSec(), sr.perSec()
		t.Ratio = t.SignInsPerSec / t.HashesPerSec
		t.HashCPUMs, t.SignInCPUMs = ms(hcpu/time.Duration(n)), ms(scpu/time.Duration(n))
		out = append(out, t)
	}
	return out, nil
}

// latencyPairs times, one request at a time, a hash then a known-device sign-in, n times.
func (r *loadRig) latencyPairs(ctx context.Context, u *loadUser, n int) (hashes, signIns []time.Duration, err error) {
	for range n {
		hr := r.hashes(ctx, 1, 1)
		sr := r.knownSignIns(ctx, []*loadUser{u}, 1, 1)
		if err := errors.Join(hr.err(), sr.err()); err != nil {
			return nil, nil, err
		}
		hashes, signIns = append(hashes, hr.lat...), append(signIns, sr.lat...)
	}
	return hashes, signIns, nil
}

// mixedReport is what the mixed load did.
type mixedReport struct {
	Concurrency int            `json:"concurrency"`
	Flows       int            `json:"flows"`
	Requests    int64          `json:"requests"`
	Seconds     float64        `json:"seconds"`
	Errors      int            `json:"errors"`
	ByError     map[string]int `json:"errorsByMessage,omitempty"`
}

// mixed runs n flows at concurrency conc: even flows sign in on a trusted
// client and mint a token; odd flows sign in on a new device, ask for the
// Client Trust code, answer it and mint a token.
func (r *loadRig) mixed(ctx context.Context, n, conc int) (mixedReport, error) {
	known, err := r.trusted(ctx, 4*conc)
	if err != nil {
		return mixedReport{}, err
	}
	if err := r.addUsers(ctx, len(known)+4*conc); err != nil {
		return mixedReport{}, err
	}
	var requests atomic.Int64
	var kmu sync.Mutex
	idle := slices.Clone(known)
	res := runOps(ctx, conc, n, func(ctx context.Context, i int) error {
		var sess loadSession
		if i%2 == 0 {
			kmu.Lock()
			u := idle[0]
			idle = idle[1:]
			kmu.Unlock()
			defer func() {
				kmu.Lock()
				idle = append(idle, u)
				kmu.Unlock()
			}()
			requests.Add(1)
			var err error // this goroutine's own: conc run at once
			if sess, err = r.knownSignIn(ctx, u); err != nil {
				return err
			}
		} else {
			us, err := r.take(ctx, 1)
			if err != nil {
				return err
			}
			defer r.release(us)
			requests.Add(1)
			c, err := r.challenge(ctx, us[0])
			if err != nil {
				return err
			}
			requests.Add(1)
			if err := r.prepareOne(ctx, c); err != nil {
				return err
			}
			if err := r.fetchCodes(ctx, []*challenge{c}); err != nil {
				return err
			}
			requests.Add(1)
			if sess, err = r.attemptOne(ctx, c); err != nil {
				return err
			}
		}
		requests.Add(1)
		return r.tokenOne(ctx, sess)
	})
	rep := mixedReport{Concurrency: conc, Flows: n, Requests: requests.Load(), Seconds: res.elapsed.Seconds(), Errors: len(res.errs), ByError: map[string]int{}}
	for _, e := range res.errs {
		rep.ByError[e.Error()]++
	}
	return rep, nil
}

// opResult is the outcome of runOps.
type opResult struct {
	lat     []time.Duration // of the operations that succeeded
	elapsed time.Duration
	errs    []error
}

func (o opResult) err() error {
	if len(o.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d operations failed, first: %w", len(o.errs), len(o.errs)+len(o.lat), o.errs[0])
}

// perSec is the rate of successful operations over the wall time.
func (o opResult) perSec() float64 { return float64(len(o.lat)) / o.elapsed.Seconds() }

// runOps runs op(0) … op(n-1) on conc goroutines and times each.
func runOps(ctx context.Context, conc, n int, op func(ctx context.Context, i int) error) opResult {
	var (
		next atomic.Int64
		mu   sync.Mutex
		res  opResult
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range min(conc, n) {
		wg.Go(func() {
			var lat []time.Duration
			var errs []error
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				if err := op(ctx, i); err != nil {
					errs = append(errs, err)
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.lat, res.errs = append(res.lat, lat...), append(res.errs, errs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if err := ctx.Err(); err != nil && len(res.errs) == 0 {
		res.errs = append(res.errs, err)
	}
	return res
}

// latencyStats summarises latencies in milliseconds.
type latencyStats struct {
	N      int     `json:"n"`
	P50Ms  float64 `json:"p50Ms"`
	P99Ms  float64 `json:"p99Ms"`
	MaxMs  float64 `json:"maxMs"`
	PerSec float64 `json:"perSecond,omitempty"`
}

func summarize(lat []time.Duration) latencyStats {
	if len(lat) == 0 {
		return latencyStats{}
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return latencyStats{N: len(s), P50Ms: ms(quantile(s, 0.5)), P99Ms: ms(quantile(s, 0.99)), MaxMs: ms(s[len(s)-1])}
}

// quantile is the nearest-rank q-quantile of sorted.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(len(sorted)-1, i))]
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// loadReport is the report of trustgate dev loadtest.
type loadReport struct {
	Machine struct {
		CPUs       int    `json:"cpus"`
		GOMAXPROCS int    `json:"gomaxprocs"`
		Go         string `json:"go"`
	} `json:"machine"`
	HashParams string `json:"hashParams"`
	// Throughput at concurrency 4, round by round, and the medians.
	Rounds        []throughputRound `json:"rounds"`
	HashesPerSec  float64           `json:"hashesPerSecond"`
	SignInsPerSec float64           `json:"signInsPerSecond"`
	Ratio         float64           `json:"ratio"`
	// Single-request latency medians and their difference.
	HashP50Ms     float64 `json:"hashP50Ms"`
	SignInP50Ms   float64 `json:"signInP50Ms"`
	OverheadP50Ms float64 `json:"signInMinusHashMs"`
	// The second-factor steps and tokens at concurrency 8.
	Prepare latencyStats `json:"signInPrepareSecondFactor"`
	Attempt latencyStats `json:"signInAttemptSecondFactor"`
	Token   latencyStats `json:"sessionTokenCreate"`
	Mixed   mixedReport  `json:"mixed"`
	// The same load at concurrency 32, when asked for.
	Burst *mixedReport `json:"burst,omitempty"`
}

// loadPlan is how much a load test does.
type loadPlan struct {
	n, rounds, pairs, mixed, burst int
}

// runLoadTest runs every measurement of issue 3 on r.
func runLoadTest(ctx context.Context, log *slog.Logger, r *loadRig, p loadPlan) (*loadReport, error) {
	rep := &loadReport{HashParams: r.hasher.Params().String()}
	rep.Machine.CPUs, rep.Machine.GOMAXPROCS, rep.Machine.Go = runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version()
	if err := r.addUsers(ctx, p.n); err != nil {
		return nil, err
	}

	log.Info("loadtest: prepare and attempt at concurrency 8", "n", p.n)
	users, err := r.take(ctx, p.n)
	if err != nil {
		return nil, err
	}
	var prep, att opResult
	var sessions []loadSession
	for start := 0; start < len(users); start += r.batch {
		chs, err := r.challenges(ctx, users[start:min(len(users), start+r.batch)])
		if err != nil {
			return nil, err
		}
		pr := r.prepare(ctx, chs)
		if err := pr.err(); err != nil {
			return nil, err
		}
		if err := r.fetchCodes(ctx, chs); err != nil {
			return nil, err
		}
		ar, ss := r.attempt(ctx, chs)
		if err := ar.err(); err != nil {
			return nil, err
		}
		prep.lat, prep.elapsed = append(prep.lat, pr.lat...), prep.elapsed+pr.elapsed
		att.lat, att.elapsed = append(att.lat, ar.lat...), att.elapsed+ar.elapsed
		sessions = append(sessions, ss...)
	}
	r.release(users)
	rep.Prepare, rep.Attempt = summarize(prep.lat), summarize(att.lat)
	rep.Prepare.PerSec, rep.Attempt.PerSec = prep.perSec(), att.perSec()

	log.Info("loadtest: sessionTokenCreate at concurrency 8", "n", p.n)
	tr := runOps(ctx, loadStepsConc, p.n, func(ctx context.Context, i int) error { return r.tokenOne(ctx, sessions[i%len(sessions)]) })
	if err := tr.err(); err != nil {
		return nil, err
	}
	rep.Token = summarize(tr.lat)
	rep.Token.PerSec = tr.perSec()

	log.Info("loadtest: raw hashes against sign-ins at concurrency 4", "rounds", p.rounds, "n", p.n)
	known, err := r.trusted(ctx, 2*loadStepsConc)
	if err != nil {
		return nil, err
	}
	per := max(1, p.n/p.rounds)
	if rep.Rounds, err = r.throughput(ctx, known, p.rounds, per); err != nil {
		return nil, err
	}
	var hs, ss, rs []float64
	for _, t := range rep.Rounds {
		hs, ss, rs = append(hs, t.HashesPerSec), append(ss, t.SignInsPerSec), append(rs, t.Ratio)
	}
	rep.HashesPerSec, rep.SignInsPerSec, rep.Ratio = median(hs), median(ss), median(rs)

	log.Info("loadtest: one hash against one sign-in", "pairs", p.pairs)
	hl, sl, err := r.latencyPairs(ctx, known[0], p.pairs)
	if err != nil {
		return nil, err
	}
	rep.HashP50Ms, rep.SignInP50Ms = summarize(hl).P50Ms, summarize(sl).P50Ms
	rep.OverheadP50Ms = math.Round((rep.SignInP50Ms-rep.HashP50Ms)*1000) / 1000

	log.Info("loadtest: mixed load at concurrency 8", "flows", p.mixed)
	if rep.Mixed, err = r.mixed(ctx, p.mixed, loadStepsConc); err != nil {
		return nil, err
	}
	if p.burst > 0 {
		log.Info("loadtest: the mixed load as a burst at concurrency 32", "flows", p.burst)
		burst, err := r.mixed(ctx, p.burst, loadBurstConc)
		if err != nil {
			return nil, err
		}
		rep.Burst = &burst
	}
	return rep, nil
}

// outboxCodes reads codes from the dev outbox through the admin API.
func outboxCodes(admin *drillClient, auth map[string]string, appID func() string) codeSource {
	return func(ctx context.Context, emails []string) (map[string]string, error) {
		res, _, err := admin.post(ctx, auth, `query($id: ID!, $n: Int) { outbox(applicationId: $id, first: $n) { to kind text } }`,
			map[string]any{"id": appID(), "n": min(500, 50+3*len(emails))})
		if err := gqlErr(res, err); err != nil {
			return nil, fmt.Errorf("reading the dev outbox (run the server with TRUSTGATE_DEV=true): %w", err)
		}
		want := map[string]bool{}
		for _, e := range emails {
			want[e] = true
		}
		out := map[string]string{}
		// Newest first: the first code to an address is the one just sent.
		for _, m := range res.Data["outbox"].([]any) {
			msg := m.(map[string]any)
			to, _ := msg["to"].(string)
			if want[to] && out[to] == "" && msg["kind"] == "client_trust_code" {
				out[to] = codeRe6(msg["text"].(string))
			}
		}
		return out, nil
	}
}

func loadTestCmd(ctx context.Context, cfg *Config, log *slog.Logger, f map[string]*string, _ io.Reader, out output) error {
	if *f["key"] == "" {
		return errors.New("--key (an owner sk_ key) is required")
	}
	base := strings.TrimRight(*f["url"], "/")
	if !strings.HasPrefix(base, "http://127.") && !strings.HasPrefix(base, "http://localhost") && !strings.HasPrefix(base, "http://[::1]") {
		return errors.New("--url must be a loopback address: the load test only loads a local server")
	}
	var nums [5]int
	for i, name := range []string{"n", "rounds", "pairs", "mixed", "burst"} {
		v, err := intFlag(f, name)
		if err != nil {
			return err
		}
		if v == 0 && name != "burst" {
			return fmt.Errorf("--%s must be at least 1", name)
		}
		nums[i] = v
	}
	params := factor.DefaultParams()
	params.Memory, params.Time = uint32(cfg.Argon2Memory), uint32(cfg.Argon2Time)
	var r *loadRig
	admin := &drillClient{base: base, http: http.DefaultClient}
	auth := map[string]string{"Authorization": "Bearer " + *f["key"]}
	r, err := newLoadRig(ctx, base, *f["key"], params, cfg.HashWorkers, outboxCodes(admin, auth, func() string { return r.appID }), 150)
	if err != nil {
		return err
	}
	rep, err := runLoadTest(ctx, log, r, loadPlan{n: nums[0], rounds: nums[1], pairs: nums[2], mixed: nums[3], burst: nums[4]})
	if err != nil {
		return err
	}
	text, _ := json.MarshalIndent(rep, "", "  ")
	return out.print(map[string]any{"report": rep}, string(text))
}
