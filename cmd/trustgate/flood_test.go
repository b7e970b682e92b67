package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHashFlood runs the server as its own process, floods it with 256
// concurrent wrong-password sign-ins from 256 client IPs (beyond the per-IP
// budgets), and checks that its peak RSS stays under 400 MiB — the bounded
// hash pool runs 2 hashes at once and queues only what it can start within
// its 2 s wait, refusing the rest, instead of allocating 19 MiB per request —
// while a legitimate user on a trusted device keeps signing in. 256 waiters
// are more than 2 slots serve in 2 s however fast the machine (a hash would
// have to take under 16 ms), so the flood does reach the pool's limit.
func TestHashFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	dir := t.TempDir()
	dbURL := "sqlite://" + filepath.Join(dir, "flood.db")
	ctx := context.Background()
	var out bytes.Buffer
	if code := run(ctx, []string{"migrate", "up", "--database-url", dbURL}, strings.NewReader(""), &out, &out); code != 0 {
		t.Fatalf("migrate: %s", out.String())
	}
	out.Reset()
	var errOut bytes.Buffer
	if code := run(ctx, []string{"keys", "create", "--role", "owner", "--json", "--database-url", dbURL}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("keys: %s", errOut.String())
	}
	var key struct{ Key string }
	if err := json.Unmarshal(out.Bytes(), &key); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "TRUSTGATE_TEST_SERVE=1", "TRUSTGATE_ADDR="+addr, "TRUSTGATE_DATABASE_URL="+dbURL,
		"TRUSTGATE_DEV=true", "TRUSTGATE_TRUSTED_PROXIES=127.0.0.1/32", "TRUSTGATE_LOG_LEVEL=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/readyz"); err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if i > 200 {
			t.Fatalf("server did not start: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1200 * time.Millisecond) // the key from the CLI reaches the server's policy within its 1 s poll

	c := &drillClient{base: base, http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}}
	auth := map[string]string{"Authorization": "Bearer " + key.Key}
	r, _, err := c.post(ctx, auth, `mutation { createApplication(input: {name: "flood"}) { id publishableKey } }`, nil)
	if err != nil || r.code() != "" {
		t.Fatalf("create app: %v %s %s", err, r.code(), logs.String())
	}
	app := r.Data["createApplication"].(map[string]any)
	c.pk = app["publishableKey"].(string)
	lim := 100000
	r, _, _ = c.post(ctx, auth, `mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { clientTrustEnabled } }`,
		map[string]any{"id": app["id"], "in": map[string]any{"rateLimitSignInsPerIp": lim, "rateLimitIdentifierPerMinute": lim, "lockoutMaxAttempts": 1000}})
	if r.code() != "" {
		t.Fatalf("settings: %s", r.code())
	}
	u := &drillUser{email: "legit@example.com", password: "correct horse battery", ip: "198.51.100.7"}
	r, _, _ = c.post(ctx, auth, `mutation($id: ID!, $in: CreateUserInput!) { createUser(applicationId: $id, input: $in) { id } }`,
		map[string]any{"id": app["id"], "in": map[string]any{"emailAddress": u.email, "password": u.password}})
	if r.code() != "" {
		t.Fatalf("user: %s", r.code())
	}
	if err = homeDevice(ctx, c, c, auth, app["id"].(string), u); err != nil {
		t.Fatal(err)
	}

	floodCtx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var attempts, busy atomic.Int64
	for w := 0; w < 256; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			h := map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.%d.%d", 113+w/200, w%200+1)}
			for floodCtx.Err() == nil {
				r, _, err := c.post(floodCtx, h, `mutation { signInCreate(input: {identifier: "legit@example.com", password: "not the password"}) { status } }`, nil)
				if err != nil {
					continue
				}
				attempts.Add(1)
				if r.code() == "too_many_requests" {
					busy.Add(1)
				}
			}
		}(w)
	}
	var legitOK, legitAll atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		h := map[string]string{"X-Client-Token": u.clientToken, "X-Forwarded-For": u.ip}
		time.Sleep(time.Second) // let the flood build up first
		for floodCtx.Err() == nil {
			r, hdr, err := c.post(floodCtx, h, `mutation { signInCreate(input: {identifier: "legit@example.com", password: "correct horse battery"}) { status } }`, nil)
			h["X-Client-Token"] = newestToken(hdr, h["X-Client-Token"])
			if floodCtx.Err() != nil {
				return
			}
			legitAll.Add(1)
			if err == nil && r.code() == "" && r.Data["signInCreate"].(map[string]any)["status"] == "complete" {
				legitOK.Add(1)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	wg.Wait()
	peak := peakRSS(t, cmd.Process.Pid)
	t.Logf("flood: %d attempts, %d refused as busy; legitimate %d/%d; server peak RSS %d MiB",
		attempts.Load(), busy.Load(), legitOK.Load(), legitAll.Load(), peak>>20)
	// The bound is the server's own: under the race detector, every
	// allocation also carries the detector's shadow memory (600 MiB here).
	if peak >= 400<<20 && !raceDetector {
		t.Fatalf("server peak RSS %d MiB, want under 400 MiB", peak>>20)
	}
	if busy.Load() == 0 {
		t.Fatalf("the flood never hit the hash pool's limit (%d attempts): the test did not flood", attempts.Load())
	}
	if legitAll.Load() == 0 || legitOK.Load() < legitAll.Load()*9/10 {
		t.Fatalf("legitimate sign-ins during the flood: %d of %d completed, want at least 90%%", legitOK.Load(), legitAll.Load())
	}
}

// peakRSS reads VmHWM (peak resident set size) of a process, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc to read the server's memory from: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
