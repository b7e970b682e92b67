package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/ent/serverconfig"
	"github.com/trustgate/trustgate/graph"
	"github.com/trustgate/trustgate/internal/account"
	"github.com/trustgate/trustgate/internal/admin"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/httpserver"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/migrate"
	"github.com/trustgate/trustgate/internal/notice"
	"github.com/trustgate/trustgate/internal/passwordpolicy"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/retention"
	"github.com/trustgate/trustgate/internal/session"
	"github.com/trustgate/trustgate/internal/signin"
	"github.com/trustgate/trustgate/internal/signup"
	"github.com/trustgate/trustgate/internal/verification"
	"github.com/trustgate/trustgate/policy"
	"github.com/trustgate/trustgate/web"
)

// Main is the trustgate program: it wires the configuration to the services
// and runs the HTTP server. Tests start it on port 0 (Addr "127.0.0.1:0").
type Main struct {
	Config Config
	Log    *slog.Logger
	// Now and Rand are injectable for tests; time.Now and crypto/rand by default.
	Now  func() time.Time
	Rand io.Reader
	// Sender replaces the configured email/SMS delivery (tests).
	Sender delivery.Sender
	// DBOptions are passed to database.Open (tests observe statements).
	DBOptions []database.Option

	DB      *database.DB
	Keys    *keyring.Keyring
	Hasher  *factor.Hasher
	Policy  *policy.Enforcer
	Limiter *ratelimit.Limiter
	// Notices sends the notices and retries those not yet delivered.
	Notices  *notice.Notifier
	Services graph.Services
	Handler  http.Handler

	// warnings are what serve warns about outside dev mode, once it is
	// ready to listen: a channel with no sender, an issuer taken from the
	// listening address (a command that serves nothing says none of them).
	warnings []string

	listener net.Listener
	server   *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	// newerSchema logs once that a newer trustgate migrated the database.
	newerSchema sync.Once
}

// rootSecretKey is the server_configs row that holds a generated root secret.
const rootSecretKey = "root_secret"

// ensureApplicationsKey is the server_configs row EnsureApplications
// locks: its value is when it last ran.
const ensureApplicationsKey = "ensure_applications"

// rootCheckKey is the server_configs row that holds the check value of the
// root secret the database was set up with.
const rootCheckKey = "root_secret_check"

// wrongSecret is the error of a root secret that is not the database's.
const wrongSecret = "TRUSTGATE_SECRET is unset or not the root secret this database was set up with (its signing keys, authenticator secrets and token digests depend on it): " +
	"set TRUSTGATE_SECRET (or --secret) to the value the servers of this database use"

// Open connects to the database, checks or applies migrations and builds the services.
func (m *Main) Open(ctx context.Context) error {
	if m.Now == nil {
		m.Now = time.Now
	}
	if m.Rand == nil {
		m.Rand = rand.Reader
	}
	if m.Log == nil {
		m.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if err := m.Config.Validate(); err != nil {
		return err
	}
	opts := m.DBOptions
	if m.Config.DBMaxConns > 0 {
		opts = append([]database.Option{database.WithPostgresMaxOpenConns(m.Config.DBMaxConns)}, opts...)
	}
	db, err := database.Open(ctx, m.Config.DatabaseURL, opts...)
	if err != nil {
		return err
	}
	m.DB = db
	m.warnings = append(m.warnings, db.Warnings()...)
	if m.Config.Dev {
		applied, err := migrate.Up(ctx, db)
		if err != nil {
			return fmt.Errorf("dev mode auto-migration: %w", err)
		}
		for _, a := range applied {
			m.Log.Info("migration applied", "migration", a)
		}
	} else if err := migrate.Check(ctx, db); err != nil {
		return err
	}
	if m.Keys, err = m.rootKeyring(ctx); err != nil {
		return err
	}
	params := factor.DefaultParams()
	params.Memory = uint32(m.Config.Argon2Memory)
	params.Time = uint32(m.Config.Argon2Time)
	if m.Hasher, err = factor.NewHasher(factor.HasherConfig{Params: params, MaxConcurrent: m.Config.HashWorkers, Rand: m.Rand}); err != nil {
		return err
	}
	if m.Sender == nil {
		if m.Sender, err = m.sender(); err != nil {
			return err
		}
	}
	if m.Policy, err = policy.New(ctx, db.Ent); err != nil {
		return err
	}
	m.build()
	return nil
}

// rootKeyring uses TRUSTGATE_SECRET, or the secret stored in the database,
// generating and storing one (with a warning) on first start. Either way the
// secret must be the one the database was set up with (checkRoot), and the
// database then remembers it (rememberRoot).
func (m *Main) rootKeyring(ctx context.Context) (*keyring.Keyring, error) {
	ring, root, err := m.rootSecret(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.rememberRoot(ctx, ring); err != nil {
		return nil, err
	}
	// Only once the database remembers the secret may its stored copy go.
	if m.Config.Secret != "" {
		if err := m.dropStoredRoot(ctx, root); err != nil {
			return nil, err
		}
	}
	return ring, nil
}

// rootSecret returns the root secret in use, checked (checkRoot), and its
// keyring.
func (m *Main) rootSecret(ctx context.Context) (*keyring.Keyring, []byte, error) {
	if m.Config.Secret != "" {
		root, err := keyring.DecodeRoot(m.Config.Secret)
		if err != nil {
			return nil, nil, fmt.Errorf("TRUSTGATE_SECRET: %w (generate one with: head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')", err)
		}
		ring, err := m.checkRoot(ctx, root)
		return ring, root, err
	}
	stored, ok, err := database.ConfigValue(ctx, m.DB.Ent.ServerConfig, rootSecretKey)
	if err == nil && !ok {
		root, gerr := keyring.GenerateRoot(m.Rand)
		if gerr != nil {
			return nil, nil, gerr
		}
		// A database set up with no stored secret was set up with a
		// TRUSTGATE_SECRET, which this command lacks: store nothing.
		if _, err := m.checkRoot(ctx, root); err != nil {
			return nil, nil, err
		}
		// Another replica may win the race; everyone then reads the winner's secret.
		if err := database.AddConfigValue(ctx, m.DB.Ent.ServerConfig, rootSecretKey, keyring.EncodeRoot(root)); err != nil {
			return nil, nil, fmt.Errorf("storing generated root secret: %w", err)
		}
		m.Log.Warn("TRUSTGATE_SECRET is not set: generated a root secret and stored it in the database. In production, move it out: " +
			"trustgate secret export prints it; set it as TRUSTGATE_SECRET everywhere, and the first process started with it deletes the stored copy.")
		stored, ok, err = database.ConfigValue(ctx, m.DB.Ent.ServerConfig, rootSecretKey)
	}
	if err == nil && !ok {
		err = errors.New("the generated secret is gone")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading root secret: %w", err)
	}
	root, err := keyring.DecodeRoot(stored)
	if err != nil {
		return nil, nil, fmt.Errorf("stored root secret: %w", err)
	}
	ring, err := m.checkRoot(ctx, root)
	return ring, root, err
}

// dropStoredRoot deletes the root secret stored in the database once
// TRUSTGATE_SECRET holds the same secret: a copy left there would put
// everything sealed or keyed under it within reach of anyone with a dump of
// the database. A stored secret that is not TRUSTGATE_SECRET's stays, with
// a warning: it may be what sealed data from before the check value.
func (m *Main) dropStoredRoot(ctx context.Context, root []byte) error {
	value, ok, err := database.ConfigValue(ctx, m.DB.Ent.ServerConfig, rootSecretKey)
	if err != nil || !ok {
		return err
	}
	stored, err := keyring.DecodeRoot(value)
	if err != nil || !hmac.Equal(stored, root) {
		m.warnings = append(m.warnings, "the database stores a root secret that is not TRUSTGATE_SECRET; "+
			"delete it (server_configs row root_secret) once you know nothing was sealed with it")
		return nil
	}
	if _, err := m.DB.Ent.ServerConfig.Delete().Where(serverconfig.ID(rootSecretKey), serverconfig.Value(value)).Exec(ctx); err != nil {
		return fmt.Errorf("deleting the stored root secret: %w", err)
	}
	m.Log.Info("deleted the root secret stored in the database: TRUSTGATE_SECRET holds it now")
	return nil
}

// checkRoot returns the keyring of root, or fails when root is not the
// secret this database was set up with. A command run with another secret
// (TRUSTGATE_SECRET unset or different in its shell) would otherwise seal
// keys and TOTP secrets the servers cannot open (a 500 on the JWKS and every
// session token, a refused authenticator), and store token and code digests
// nobody can match.
//
// The database's check value (rememberRoot) decides. A database from before
// the check value has its signing keys tried instead.
func (m *Main) checkRoot(ctx context.Context, root []byte) (*keyring.Keyring, error) {
	ring, err := keyring.New(root)
	if err != nil {
		return nil, err
	}
	switch known, err := m.rootCheck(ctx); {
	case err != nil:
		return nil, err
	case known != "":
		if !hmac.Equal([]byte(known), []byte(rootCheckValue(ring))) {
			return nil, errors.New(wrongSecret)
		}
		return ring, nil
	}
	if err := session.NewKeys(m.DB, ring, m.Now).Check(ctx); err != nil {
		if errors.Is(err, keyring.ErrOpen) {
			return nil, fmt.Errorf("%s (%w)", wrongSecret, err)
		}
		return nil, err
	}
	return ring, nil
}

// rememberRoot stores the check value of ring's root secret unless the
// database has one, and fails if the one it has (another process's, which
// won a race to a new database with another secret) is not ring's.
func (m *Main) rememberRoot(ctx context.Context, ring *keyring.Keyring) error {
	if err := database.AddConfigValue(ctx, m.DB.Ent.ServerConfig, rootCheckKey, rootCheckValue(ring)); err != nil {
		return err
	}
	known, err := m.rootCheck(ctx)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(known), []byte(rootCheckValue(ring))) {
		return errors.New(wrongSecret)
	}
	return nil
}

// rootCheck returns the database's check value of its root secret, or "".
func (m *Main) rootCheck(ctx context.Context) (string, error) {
	value, _, err := database.ConfigValue(ctx, m.DB.Ent.ServerConfig, rootCheckKey)
	return value, err
}

// rootCheckValue is a MAC of a fixed message under ring's root secret: it
// tells whether two processes hold the same secret and reveals nothing of it.
func rootCheckValue(ring *keyring.Keyring) string {
	return base64.RawURLEncoding.EncodeToString(ring.MAC(keyring.PurposeRootCheck, []byte("trustgate root secret check")))
}

func (m *Main) sender() (delivery.Sender, error) {
	outbox := delivery.NewOutboxSender(&delivery.EntOutbox{DB: m.DB}, m.Log, m.Config.Dev)
	var email, sms delivery.Sender
	if m.Config.SMTPURL != "" {
		cfg, err := delivery.ParseSMTPURL(m.Config.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("TRUSTGATE_SMTP_URL: %w", err)
		}
		cfg.From = m.Config.SMTPFrom
		s, err := delivery.NewSMTPSender(cfg)
		if err != nil {
			return nil, err
		}
		email = s
	}
	if m.Config.SMSURL != "" {
		s, err := delivery.NewSMSHookSender(m.Config.SMSURL)
		if err != nil {
			return nil, fmt.Errorf("TRUSTGATE_SMS_URL: %w", err)
		}
		sms = s
	}
	if !m.Config.Dev && email == nil {
		m.warnings = append(m.warnings, "TRUSTGATE_SMTP_URL is not set: email codes and notices fail with delivery_failed")
	}
	if !m.Config.Dev && sms == nil {
		m.warnings = append(m.warnings, "TRUSTGATE_SMS_URL is not set: text-message codes fail with delivery_failed")
	}
	return delivery.NewRouter(email, sms, outbox)
}

// build wires the domain services and the HTTP handler.
func (m *Main) build() {
	db, now, log := m.DB, m.Now, m.Log
	eventCounter := audit.NewEventCounter()
	events := &audit.Recorder{Keys: m.Keys, Now: now, RowAtATime: m.DB.IsSQLite(), Committed: eventCounter}
	codes := &verification.Codes{Keys: m.Keys, Rand: m.Rand, Now: now}
	keys := session.NewKeys(db, m.Keys, now)
	keys.Record = func(ctx context.Context, tx *ent.Tx, c session.KeyChange) error {
		a := admin.Audit{Action: c.Action, TargetType: "signing_key", TargetID: c.KeyID}
		if c.Action == "signing_keys:rotate" {
			a.After = map[string]any{"startsSigningAt": c.StartsSigningAt.UTC().Format(time.RFC3339)}
		} else {
			a.Before = map[string]any{"inJwks": true}
			a.After = map[string]any{"inJwks": false}
		}
		return admin.Record(ctx, tx, a)
	}
	m.Limiter = ratelimit.New(db, now, m.Keys, events)
	codes.Budget = func(ctx context.Context, t verification.Target) error { return m.Limiter.AllowRecipient(ctx, t.Value) }
	issuer := m.Config.PublicURL
	if issuer == "" {
		issuer = "http://" + m.Config.Addr
		if !m.Config.Dev {
			m.warnings = append(m.warnings, "TRUSTGATE_PUBLIC_URL is not set: session tokens name "+issuer+
				" as their issuer (iss), which backends checking iss will not expect; set it to the https URL clients reach this server at")
		}
	}
	check := checkPassword
	floor := &verification.SendFloor{Min: m.Config.CodeSendFloor, Now: now}
	m.Notices = notice.NewNotifier(db, m.Sender, m.Limiter, log, now)
	m.Services = graph.Services{
		SignIn:   &signin.Service{DB: db, Hasher: m.Hasher, Keys: m.Keys, Codes: codes, Sender: m.Sender, Events: events, Limiter: m.Limiter, Notices: m.Notices, CheckPassword: check, Floor: floor, Now: now, Log: log},
		SignUp:   &signup.Service{DB: db, Hasher: m.Hasher, Codes: codes, Sender: m.Sender, Events: events, Limiter: m.Limiter, CheckPassword: check, Floor: floor, Now: now, Log: log},
		Account:  &account.Service{DB: db, Hasher: m.Hasher, Keys: m.Keys, Codes: codes, Sender: m.Sender, CheckPassword: check, Events: events, Limiter: m.Limiter, Notices: m.Notices, Rand: m.Rand, Now: now, Log: log},
		Sessions: &session.Service{DB: db, Keys: keys, Issuer: issuer, TokenTTL: m.Config.TokenTTL, Now: now},
		Admin: &admin.Service{DB: db, Hasher: m.Hasher, CheckPassword: check, Now: now, Log: log, Limiter: m.Limiter,
			Notices: m.Notices,
			PolicyChanged: func(ctx context.Context) {
				if err := m.Policy.Reload(ctx); err != nil {
					log.ErrorContext(ctx, "policy reload", "error", err)
				}
			}},
	}
	resolver := &graph.Resolver{DB: db, Svc: m.Services, Policy: m.Policy, Events: events, Now: now, Log: log, Dev: m.Config.Dev}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL, "trustgate"), hasherCollector{m.Hasher}, m.Limiter, eventCounter, m.Notices)
	if c, ok := m.Sender.(prometheus.Collector); ok { // the delivery.Router counts what it sends
		registry.MustRegister(c)
	}
	if db.IsSQLite() {
		registry.MustRegister(writerCollector{db})
	}
	proxies, _ := m.Config.proxies()
	m.warnings = append(m.warnings, proxyWarnings(proxies)...)
	m.Handler = httpserver.New(httpserver.Config{Dev: m.Config.Dev, TrustedProxies: proxies, MetricsToken: m.Config.MetricsToken}, httpserver.Deps{
		DB: db, Resolver: resolver, Keys: keys, Devices: &device.Store{DB: db, Now: now}, Log: log,
		Assets: web.Assets(), Registry: registry, Limiter: m.Limiter,
		Ready: func(ctx context.Context) error {
			if err := db.Ping(ctx); err != nil {
				return &httpserver.NotReady{Reason: "database unreachable", Err: err}
			}
			switch err := migrate.Check(ctx, db); {
			case errors.Is(err, migrate.ErrNewer):
				// The next release's `migrate up` ran: this replica serves
				// on until it is replaced, as its migrations allow (README,
				// upgrades). Unready, every old replica would leave the
				// load balancer at once, before a new one could start.
				m.newerSchema.Do(func() {
					log.Warn("the database was migrated by a newer trustgate: this replica keeps serving until it is replaced", "error", err)
				})
			case errors.Is(err, migrate.ErrPending):
				return &httpserver.NotReady{Reason: "migrations pending", Err: err}
			case err != nil:
				return &httpserver.NotReady{Reason: "schema check failed", Err: err}
			}
			return nil
		},
	}).Handler()
}

// checkPassword is the password policy of every new password: NIST 800-63B
// lengths and the common-password blocklist, with Clerk's error codes.
func checkPassword(pw string) error { return passwordpolicy.Check(pw) }

// EnsureApplications creates the built-in dashboard application and, in dev
// mode, a default application when there is none.
func (m *Main) EnsureApplications(ctx context.Context) error {
	return m.DB.Tx(ctx, func(tx *ent.Tx) error {
		// Replicas and commands starting together would each find no
		// dashboard and each make one, and every later lookup of "the"
		// dashboard would fail. Writing this row locks it until commit:
		// the others wait here, then (read committed) see what it made.
		if err := database.SetConfigValue(ctx, tx.ServerConfig, ensureApplicationsKey, m.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
		ok, err := tx.Application.Query().Where(application.Dashboard(true)).Exist(ctx)
		if err != nil {
			return err
		}
		if !ok {
			app, err := admin.CreateApplicationTx(ctx, tx, "trustgate dashboard", m.Now(), true)
			if err != nil {
				return err
			}
			m.Log.Info("created the dashboard application", "application_id", app.ID)
		}
		if !m.Config.Dev {
			return nil
		}
		n, err := tx.Application.Query().Where(application.Dashboard(false)).Count(ctx)
		if err != nil || n > 0 {
			return err
		}
		app, err := admin.CreateApplicationTx(ctx, tx, "Default application", m.Now(), false)
		if err != nil {
			return err
		}
		m.Log.Info("dev mode: created a default application", "application_id", app.ID, "publishable_key", app.PublishableKey)
		return nil
	})
}

// Run listens and serves until ctx ends or Close is called.
func (m *Main) Run(ctx context.Context) error {
	if err := m.EnsureApplications(ctx); err != nil {
		return err
	}
	if !m.Config.Dev {
		// Dev mode kept whole messages, codes included, for the outbox query;
		// outside dev mode nothing may read them, so none stays readable.
		n, err := (&delivery.EntOutbox{DB: m.DB}).DeleteDevMessages(ctx)
		if err != nil {
			return fmt.Errorf("deleting dev-mode outbox messages: %w", err)
		}
		if n > 0 {
			m.Log.Warn("this database served in dev mode: deleted its outbox messages, which held codes in clear", "messages", n)
		}
	}
	for _, w := range m.warnings {
		m.Log.Warn(w)
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	ctx, m.cancel = context.WithCancel(ctx)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.Policy.Watch(ctx, time.Second, func(err error) { m.Log.Error("policy reload", "error", err) })
	}()
	// Retention (issue 4): prune sign-in events past each application's
	// eventRetentionDays; an advisory lock makes it once across replicas.
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		(&retention.Pruner{DB: m.DB, Now: m.Now, Log: m.Log}).Run(ctx)
	}()
	// Notices whose delivery failed, or whose process stopped first, are
	// retried by every replica; each takes a notice before sending it.
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.every(ctx, notice.RetryEvery, "notice retry", func(ctx context.Context) error {
			_, err := m.Notices.RetryDue(ctx)
			return err
		})
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.every(ctx, time.Minute, "rate-limit pruning", func(ctx context.Context) error {
			_, err := m.Limiter.Prune(ctx)
			return err
		})
	}()
	m.server = &http.Server{
		Handler:           m.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // CSV exports stream for a while
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	m.Log.Info("trustgate listening", "addr", ln.Addr().String(), "dev", m.Config.Dev, "config", m.Config.String())
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("server stopped", "error", err)
		}
	}()
	return nil
}

// every runs job each interval until ctx ends, logging failures.
func (m *Main) every(ctx context.Context, interval time.Duration, name string, job func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := job(ctx); err != nil && ctx.Err() == nil {
				m.Log.Error(name+" failed", "error", err)
			}
		}
	}
}

// Addr is the address the server listens on (useful with port 0).
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// Close shuts the server down gracefully and closes the database.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownGrace)
		if err := m.server.Shutdown(ctx); err != nil {
			// Requests still running after the grace period (or connections a
			// client opened but never used, which net/http waits 5 s for) are
			// cut off, so that the process does not outlive its grace.
			// Logged here, not returned: the cut-off is the grace period
			// working, and the caller would report the same event again.
			m.Log.Warn("shutdown grace period over; closing the remaining connections", "grace", m.Config.ShutdownGrace.String(), "err", err)
			errs = append(errs, m.server.Close())
		}
		cancel()
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.Notices != nil {
		m.Notices.Wait() // the notices being sent record how it went
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}

// writerCollector exports how busy SQLite's one writer is
// (database.WriterStats).
type writerCollector struct{ db *database.DB }

var (
	writerHold    = prometheus.NewDesc("trustgate_sqlite_writer_busy_seconds_total", "Time SQLite's write slot was held by a write transaction; its rate is the fraction of time the database had a writer (near 1: writes queue).", nil, nil)
	writerWait    = prometheus.NewDesc("trustgate_sqlite_writer_wait_seconds_total", "Time write transactions waited for SQLite's write slot, summed over them.", nil, nil)
	writerTaken   = prometheus.NewDesc("trustgate_sqlite_writes_total", "Write transactions (and single writes) that held SQLite's write slot.", nil, nil)
	writerGaveUp  = prometheus.NewDesc("trustgate_sqlite_writes_abandoned_total", "Write transactions whose request ended while they waited for SQLite's write slot.", nil, nil)
	writerWaiting = prometheus.NewDesc("trustgate_sqlite_writes_waiting", "Write transactions waiting for SQLite's write slot now.", nil, nil)
)

func (c writerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- writerHold
	ch <- writerWait
	ch <- writerTaken
	ch <- writerGaveUp
	ch <- writerWaiting
}

func (c writerCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.db.WriterStats()
	ch <- prometheus.MustNewConstMetric(writerHold, prometheus.CounterValue, s.Hold.Seconds())
	ch <- prometheus.MustNewConstMetric(writerWait, prometheus.CounterValue, s.Wait.Seconds())
	ch <- prometheus.MustNewConstMetric(writerTaken, prometheus.CounterValue, float64(s.Taken))
	ch <- prometheus.MustNewConstMetric(writerGaveUp, prometheus.CounterValue, float64(s.GaveUp))
	ch <- prometheus.MustNewConstMetric(writerWaiting, prometheus.GaugeValue, float64(s.Waiting))
}

// hasherCollector exports the password-hash pool's state.
type hasherCollector struct{ h *factor.Hasher }

var (
	hashRunning  = prometheus.NewDesc("trustgate_password_hashes_running", "Password hashes running now.", nil, nil)
	hashQueued   = prometheus.NewDesc("trustgate_password_hashes_queued", "Password hashes waiting for a slot.", nil, nil)
	hashDone     = prometheus.NewDesc("trustgate_password_hashes_total", "Password hashes computed (hashing and verifying alike).", nil, nil)
	hashRejected = prometheus.NewDesc("trustgate_password_hashes_rejected_total", "Password hashes refused at once: the queue ahead would not reach them within the queue wait, or was full.", nil, nil)
	hashTimedOut = prometheus.NewDesc("trustgate_password_hashes_timed_out_total", "Password hashes that waited the whole queue wait without a slot.", nil, nil)
	hashHold     = prometheus.NewDesc("trustgate_password_hash_hold_seconds", "Moving average of how long a hash holds a slot; the pool paces its queue by it.", nil, nil)
)

func (c hasherCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- hashRunning
	ch <- hashQueued
	ch <- hashDone
	ch <- hashRejected
	ch <- hashTimedOut
	ch <- hashHold
}

func (c hasherCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.h.Stats()
	ch <- prometheus.MustNewConstMetric(hashRunning, prometheus.GaugeValue, float64(s.Running))
	ch <- prometheus.MustNewConstMetric(hashQueued, prometheus.GaugeValue, float64(s.Queued))
	ch <- prometheus.MustNewConstMetric(hashDone, prometheus.CounterValue, float64(s.Done))
	ch <- prometheus.MustNewConstMetric(hashRejected, prometheus.CounterValue, float64(s.Rejected))
	ch <- prometheus.MustNewConstMetric(hashTimedOut, prometheus.CounterValue, float64(s.TimedOut))
	ch <- prometheus.MustNewConstMetric(hashHold, prometheus.GaugeValue, s.Hold.Seconds())
}
