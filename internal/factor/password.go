package factor

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

// Password length rules, counted in Unicode code points of the NFKC form
// (NIST SP 800-63B §5.1.1.2).
const (
	// MinPasswordLen is the minimum password length in characters.
	MinPasswordLen = 8
	// MaxPasswordLen is the maximum password length in characters.
	MaxPasswordLen = 256
)

// Limits on hash parameters accepted from imported or stored hashes. A hash
// beyond them would cost so much to verify that it is a denial-of-service
// vector, so it is rejected as if malformed.
const (
	// MaxArgon2Memory is the largest argon2id memory cost accepted, in KiB
	// (4 GiB).
	MaxArgon2Memory = 4 << 20
	// MaxArgon2Time is the largest argon2id time cost (passes) accepted.
	MaxArgon2Time = 100
	// MaxBcryptCost is the largest bcrypt cost accepted (2^16 rounds, a few
	// seconds per verification).
	MaxBcryptCost = 16

	// bcryptMaxPassword is the most bytes of a password bcrypt reads.
	bcryptMaxPassword = 72

	minArgon2Salt = 8   // RFC 9106 §3.1 minimum
	maxArgon2Salt = 64  // far above any real implementation
	minArgon2Key  = 16  // 128 bits
	maxArgon2Key  = 128 // far above any real implementation
)

// Tighter limits on argon2id hashes imported from another system
// (ParseImportedHash). Anyone may make the server verify an account's hash
// by trying a password for it, in the shared hashing pool, whose
// concurrency is sized for the Hasher's own parameters (19 MiB each by
// default, 512 MiB in all). An imported hash at the limits above (4 GiB,
// 100 passes, 255 threads) would take gigabytes and minutes of every core
// per guess. These admit what real systems use: OWASP's parameters, RFC
// 9106's second recommendation (m=64 MiB, t=3, p=4), the defaults of
// argon2-cffi, PHP and Keycloak; one such verification costs at most about
// what a bcrypt hash of cost MaxBcryptCost does.
const (
	// MaxImportedArgon2Memory is the largest memory cost of an imported
	// argon2id hash, in KiB (64 MiB).
	MaxImportedArgon2Memory = 64 << 10
	// MaxImportedArgon2Time is the largest time cost of an imported
	// argon2id hash.
	MaxImportedArgon2Time = 10
	// MaxImportedArgon2Threads is the largest parallelism of an imported
	// argon2id hash: each lane is a goroutine of its own, beyond the one
	// core a hashing slot stands for.
	MaxImportedArgon2Threads = 8
)

// Defaults for HasherConfig.
const (
	// DefaultQueueWait is how long a caller waits for a hashing slot by
	// default before giving up with ErrBusy.
	DefaultQueueWait = 2 * time.Second
	// defaultMemoryBudget caps, in KiB, the memory the default MaxConcurrent
	// lets concurrent hashes use (512 MiB).
	defaultMemoryBudget = 512 << 10
	// defaultQueueFactor times MaxConcurrent is the default MaxQueue: a
	// bound on waiting goroutines. What usually refuses a caller first is
	// the wait the queue ahead of it would cost (see limiter).
	defaultQueueFactor = 64
)

var (
	// ErrBusy is returned when no hashing slot is free and the wait queue is
	// full, or when a queued caller waited QueueWait without getting a slot.
	// The Hasher returns it wrapped in too_many_requests (see busy).
	ErrBusy = errors.New("factor: password hashing is at capacity")

	// ErrMalformedHash is wrapped by every error about a stored or imported
	// hash that cannot be verified: bad syntax, an unsupported algorithm, or
	// parameters out of range.
	ErrMalformedHash = errors.New("factor: malformed password hash")

	// ErrUnsupportedHash is wrapped (alongside ErrMalformedHash) when a hash
	// uses an algorithm or version other than argon2id v=19 and bcrypt
	// $2a$/$2b$/$2y$.
	ErrUnsupportedHash = errors.New("factor: unsupported password hash algorithm")

	// ErrHashParams is wrapped (alongside ErrMalformedHash) when a hash's
	// cost parameters are outside the accepted range.
	ErrHashParams = errors.New("factor: password hash parameters out of accepted range")

	// ErrPasswordTooShort is returned by CheckPassword for passwords shorter
	// than MinPasswordLen characters.
	ErrPasswordTooShort = errors.New("factor: password is too short")

	// ErrPasswordTooLong is returned by CheckPassword for passwords longer
	// than MaxPasswordLen characters.
	ErrPasswordTooLong = errors.New("factor: password is too long")

	// ErrPasswordEncoding is returned by CheckPassword for passwords that are
	// not valid UTF-8.
	ErrPasswordEncoding = errors.New("factor: password is not valid UTF-8")
)

// Params are argon2id cost parameters.
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
	// SaltLen is the salt length in bytes.
	SaltLen uint32
	// KeyLen is the derived key (hash) length in bytes.
	KeyLen uint32
}

// DefaultParams returns the OWASP Password Storage Cheat Sheet argon2id
// parameters: m=19456 KiB (19 MiB), t=2, p=1, a 16-byte salt and a 32-byte
// hash.
func DefaultParams() Params {
	return Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// String returns the parameters in PHC form, such as "m=19456,t=2,p=1".
func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}

// check reports whether p is within the ranges accepted for stored hashes.
func (p Params) check() error {
	switch {
	case p.Time < 1 || p.Time > MaxArgon2Time:
		return fmt.Errorf("t=%d outside 1..%d", p.Time, MaxArgon2Time)
	case p.Threads < 1:
		return errors.New("p=0")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > MaxArgon2Memory:
		return fmt.Errorf("m=%d outside %d..%d KiB", p.Memory, 8*uint32(p.Threads), MaxArgon2Memory)
	case p.SaltLen < minArgon2Salt || p.SaltLen > maxArgon2Salt:
		return fmt.Errorf("salt of %d bytes outside %d..%d", p.SaltLen, minArgon2Salt, maxArgon2Salt)
	case p.KeyLen < minArgon2Key || p.KeyLen > maxArgon2Key:
		return fmt.Errorf("hash of %d bytes outside %d..%d", p.KeyLen, minArgon2Key, maxArgon2Key)
	}
	return nil
}

// weakerThan reports whether any cost dimension of p is below target.
func (p Params) weakerThan(target Params) bool {
	return p.Memory < target.Memory || p.Time < target.Time ||
		p.SaltLen < target.SaltLen || p.KeyLen < target.KeyLen
}

// HasherConfig configures NewHasher. The zero value gives production
// defaults.
type HasherConfig struct {
	// Params are the argon2id parameters for new hashes; the zero value means
	// DefaultParams. Stored argon2id hashes weaker than these verify but
	// report needsRehash.
	Params Params
	// MaxConcurrent bounds how many hashes run at once. Zero means
	// runtime.NumCPU(), lowered so that MaxConcurrent hashes fit in 512 MiB,
	// and at least 1.
	MaxConcurrent int
	// MaxQueue bounds how many callers may wait for a slot. Zero means
	// 64×MaxConcurrent; a negative value means callers never wait. Within
	// it, a caller is refused at once when those ahead of it would keep it
	// waiting longer than QueueWait at the pace hashes have lately run.
	MaxQueue int
	// QueueWait is how long a queued caller waits before failing with
	// ErrBusy. Zero means DefaultQueueWait.
	QueueWait time.Duration
	// Rand is the entropy source for salts. Nil means crypto/rand.Reader.
	Rand io.Reader
}

// HasherStats is a snapshot of a Hasher's load, for metrics.
type HasherStats struct {
	// Running is the number of hashes being computed now.
	Running int
	// Queued is the number of callers waiting for a slot now.
	Queued int
	// Done counts the hashes computed (and verifications made) since the
	// hasher was made.
	Done uint64
	// Rejected counts callers turned away at once because the queue was full.
	Rejected uint64
	// TimedOut counts queued callers that gave up after QueueWait.
	TimedOut uint64
	// Hold is the moving average of how long a caller holds a slot, by which
	// the queue is paced; zero before the first hash.
	Hold time.Duration
	// Canceled counts queued callers whose context ended while waiting.
	Canceled uint64
}

// Hasher hashes and verifies passwords with a bound on concurrent work. It is
// safe for concurrent use.
type Hasher struct {
	params Params
	rand   io.Reader
	limit  *limiter
	dummy  string
}

// NewHasher returns a Hasher configured by cfg. It fails if cfg.Params are
// out of range, if the salt is shorter than 16 bytes, or if Rand fails.
func NewHasher(cfg HasherConfig) (*Hasher, error) {
	p := cfg.Params
	if p == (Params{}) {
		p = DefaultParams()
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("factor: hasher params: %s", err)
	}
	if p.SaltLen < 16 {
		return nil, fmt.Errorf("factor: hasher params: salt of %d bytes, want at least 16", p.SaltLen)
	}
	maxConc := cfg.MaxConcurrent
	if maxConc <= 0 {
		maxConc = max(1, min(runtime.NumCPU(), int(defaultMemoryBudget/p.Memory)))
	}
	maxQueue := cfg.MaxQueue
	switch {
	case maxQueue == 0:
		maxQueue = defaultQueueFactor * maxConc
	case maxQueue < 0:
		maxQueue = 0
	}
	wait := cfg.QueueWait
	if wait <= 0 {
		wait = DefaultQueueWait
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	h := &Hasher{
		params: p,
		rand:   r,
		limit:  newLimiter(maxConc, maxQueue, wait),
	}
	// The dummy hash has the production parameters and a random key no
	// password derives, so verifying against it costs what a real
	// verification costs and never succeeds.
	salt, err := h.read(int(p.SaltLen))
	if err != nil {
		return nil, err
	}
	key, err := h.read(int(p.KeyLen))
	if err != nil {
		return nil, err
	}
	h.dummy = formatArgon2id(p, salt, key)
	return h, nil
}

// Params returns the argon2id parameters the Hasher uses for new hashes.
func (h *Hasher) Params() Params { return h.params }

// Stats returns a snapshot of the Hasher's load.
func (h *Hasher) Stats() HasherStats { return h.limit.stats() }

// Hash returns a PHC-format argon2id hash of the NFKC form of password, such
// as "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" with unpadded standard
// base64. It applies no password policy; call CheckPassword first. It fails
// with ErrBusy when at capacity and with the context's error if ctx ends
// while waiting.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt, err := h.read(int(h.params.SaltLen))
	if err != nil {
		return "", err
	}
	if err := h.limit.acquire(ctx); err != nil {
		return "", err
	}
	defer h.limit.releaseTimed(time.Now(), 1)
	key := argon2.IDKey([]byte(norm.NFKC.String(password)), salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	return formatArgon2id(h.params, salt, key), nil
}

// Verify reports whether password matches the stored hash phc, which may be
// an argon2id PHC string with any accepted parameters or a bcrypt hash
// ($2a$, $2b$, $2y$). needsRehash is true, only when ok, if the caller should
// replace the stored hash with Hash(password): always for bcrypt, and for
// argon2id hashes weaker than the Hasher's parameters. A stronger hash takes
// as many hashing slots as its memory and lanes fill. A password longer than
// 72 bytes matches no bcrypt hash: bcrypt would ignore the rest. A hash that
// cannot be verified yields an error wrapping ErrMalformedHash; capacity and
// context errors are as for Hash.
func (h *Hasher) Verify(ctx context.Context, phc, password string) (ok, needsRehash bool, err error) {
	if isBcrypt(phc) {
		if err := checkBcrypt(phc); err != nil {
			return false, false, err
		}
		// bcrypt reads 72 bytes and ignores the rest, and x/crypto's
		// comparison does not refuse more (only hashing does): any suffix
		// would verify, and the rehash that follows would keep the typed
		// variant. Truncation is not done (NIST SP 800-63B 5.1.1.2): a
		// longer password matches no bcrypt hash; its owner resets it.
		// The slot is still spent, so the answer takes as long.
		tooLong := len(password) > bcryptMaxPassword
		if err := h.limit.acquire(ctx); err != nil {
			return false, false, err
		}
		defer h.limit.releaseTimed(time.Now(), 1)
		if tooLong {
			password = password[:bcryptMaxPassword]
		}
		switch err := bcrypt.CompareHashAndPassword([]byte(phc), []byte(password)); {
		case err == nil && tooLong:
			return false, false, nil
		case err == nil:
			return true, true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, false, nil
		default:
			return false, false, fmt.Errorf("%w: bcrypt: %v", ErrMalformedHash, err)
		}
	}
	a, err := parseArgon2id(phc)
	if err != nil {
		return false, false, err
	}
	// A slot stands for one hash with the Hasher's parameters; an imported
	// hash that costs more takes as many slots as its memory and lanes
	// fill, so the pool's bound on memory holds.
	slots := h.slotsFor(a.params)
	if err := h.limit.acquireN(ctx, slots); err != nil {
		return false, false, err
	}
	defer h.limit.releaseTimed(time.Now(), slots)
	got := argon2.IDKey([]byte(norm.NFKC.String(password)), a.salt, a.params.Time, a.params.Memory, a.params.Threads, a.params.KeyLen)
	if subtle.ConstantTimeCompare(got, a.key) != 1 {
		return false, false, nil
	}
	// A stronger hash is kept: no sign-in lowers an account's hash cost,
	// whatever the parameters are set to now.
	return true, a.params.weakerThan(h.params), nil
}

// slotsFor is how many hashing slots a hash with parameters p takes: one
// per slot's worth of memory (the Hasher's Memory) or of lanes (its
// Threads), whichever is more.
func (h *Hasher) slotsFor(p Params) int {
	mem := int((p.Memory + h.params.Memory - 1) / h.params.Memory)
	lanes := (int(p.Threads) + int(h.params.Threads) - 1) / int(h.params.Threads)
	return max(1, mem, lanes)
}

// VerifyDummy spends what verifying password against a real hash with the
// Hasher's parameters spends, including waiting for a slot, and discards the
// result. Call it when the account is unknown, locked or has no password, so
// those cases take as long as a wrong password. It returns only capacity and
// context errors.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, h.dummy, password)
	return err
}

func (h *Hasher) read(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(h.rand, b); err != nil {
		return nil, fmt.Errorf("factor: read salt: %w", err)
	}
	return b, nil
}

// CheckPassword applies the NIST SP 800-63B length rules to a new password:
// at least MinPasswordLen and at most MaxPasswordLen Unicode code points
// after NFKC normalisation. It imposes no composition rules. Errors are
// ErrPasswordTooShort, ErrPasswordTooLong and ErrPasswordEncoding.
func CheckPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return ErrPasswordEncoding
	}
	// NFKC composes at most a handful of code points into one, so an input
	// this large is over the limit in any normal form; the bound only spares
	// normalising absurd inputs.
	if len(pw) > 64<<10 {
		return ErrPasswordTooLong
	}
	switch n := utf8.RuneCountInString(norm.NFKC.String(pw)); {
	case n < MinPasswordLen:
		return ErrPasswordTooShort
	case n > MaxPasswordLen:
		return ErrPasswordTooLong
	}
	return nil
}

// ParseImportedHash checks that hash, taken from another system, is a
// password hash Verify can check at acceptable cost: an argon2id v=19 PHC
// string within MaxImportedArgon2Memory, MaxImportedArgon2Time and
// MaxImportedArgon2Threads, or a bcrypt hash ($2a$, $2b$, $2y$) with cost
// at most MaxBcryptCost. Errors wrap ErrMalformedHash, and also
// ErrUnsupportedHash or ErrHashParams where they apply.
func ParseImportedHash(hash string) error {
	if isBcrypt(hash) {
		return checkBcrypt(hash)
	}
	a, err := parseArgon2id(hash)
	if err != nil {
		return err
	}
	switch p := a.params; {
	case p.Memory > MaxImportedArgon2Memory:
		return fmt.Errorf("%w: %w: imported m=%d above %d KiB", ErrMalformedHash, ErrHashParams, p.Memory, MaxImportedArgon2Memory)
	case p.Time > MaxImportedArgon2Time:
		return fmt.Errorf("%w: %w: imported t=%d above %d", ErrMalformedHash, ErrHashParams, p.Time, MaxImportedArgon2Time)
	case p.Threads > MaxImportedArgon2Threads:
		return fmt.Errorf("%w: %w: imported p=%d above %d", ErrMalformedHash, ErrHashParams, p.Threads, MaxImportedArgon2Threads)
	}
	return nil
}

type argon2idHash struct {
	params Params
	salt   []byte
	key    []byte
}

func formatArgon2id(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s", argon2.Version, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// maxHashLen bounds the input the parsers look at; real hashes are < 250.
const maxHashLen = 512

// parseArgon2id parses "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH" strictly: the
// PHC string format with the parameter order the reference implementation
// writes and unpadded standard base64.
func parseArgon2id(s string) (argon2idHash, error) {
	malformed := func(format string, args ...any) (argon2idHash, error) {
		return argon2idHash{}, fmt.Errorf("%w: argon2id: "+format, append([]any{ErrMalformedHash}, args...)...)
	}
	if len(s) > maxHashLen {
		return malformed("longer than %d bytes", maxHashLen)
	}
	if !strings.HasPrefix(s, "$") {
		return malformed("not a PHC string (no leading $)")
	}
	parts := strings.Split(s, "$")
	if parts[1] != "argon2id" {
		return argon2idHash{}, fmt.Errorf("%w: %w: %q (want argon2id or bcrypt)", ErrMalformedHash, ErrUnsupportedHash, truncate(parts[1]))
	}
	if len(parts) != 6 {
		return malformed("want 5 $-separated fields, got %d", len(parts)-1)
	}
	if parts[2] != "v=19" {
		return argon2idHash{}, fmt.Errorf("%w: %w: argon2id version field %q (only v=19 is supported)", ErrMalformedHash, ErrUnsupportedHash, truncate(parts[2]))
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return malformed("want parameters m=,t=,p=")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, found := strings.CutPrefix(kv[i], name)
		if !found || !isDecimal(digits) {
			return malformed("parameter %d is not %s<decimal>", i+1, name)
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return argon2idHash{}, fmt.Errorf("%w: %w: %s out of range", ErrMalformedHash, ErrHashParams, name[:1])
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return argon2idHash{}, fmt.Errorf("%w: %w: p=%d above 255", ErrMalformedHash, ErrHashParams, vals[2])
	}
	// Go's base64 decoders skip CR and LF even in Strict mode; a PHC string
	// has neither, so anything outside the alphabet makes the hash malformed.
	if !isB64(parts[4]) || !isB64(parts[5]) {
		return malformed("salt or hash is not unpadded standard base64")
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil {
		return malformed("salt is not unpadded standard base64")
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil {
		return malformed("hash is not unpadded standard base64")
	}
	p := Params{
		Memory:  uint32(vals[0]),
		Time:    uint32(vals[1]),
		Threads: uint8(vals[2]),
		SaltLen: uint32(len(salt)),
		KeyLen:  uint32(len(key)),
	}
	if err := p.check(); err != nil {
		return argon2idHash{}, fmt.Errorf("%w: %w: %s", ErrMalformedHash, ErrHashParams, err)
	}
	return argon2idHash{params: p, salt: salt, key: key}, nil
}

// isDecimal reports whether s is a canonical decimal number: 1 to 10 ASCII
// digits without a leading zero, so that a parsed hash formats back to the
// same string.
func isDecimal(s string) bool {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isB64 reports whether s uses only the standard base64 alphabet (no padding).
func isB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || isDigit(c) || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

// bcryptAlphabet is the base64 alphabet bcrypt uses for salt and hash.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// checkBcrypt validates "$2b$CC$" + 53 characters of bcrypt base64 and the
// cost range. The bcrypt package itself accepts any minor version letter and
// decodes lazily, so this is stricter.
func checkBcrypt(s string) error {
	if !isBcrypt(s) {
		return fmt.Errorf("%w: %w: bcrypt prefix must be $2a$, $2b$ or $2y$", ErrMalformedHash, ErrUnsupportedHash)
	}
	if len(s) != 60 {
		return fmt.Errorf("%w: bcrypt: %d characters, want 60", ErrMalformedHash, len(s))
	}
	if !isDigit(s[4]) || !isDigit(s[5]) || s[6] != '$' {
		return fmt.Errorf("%w: bcrypt: cost field must be two digits followed by $", ErrMalformedHash)
	}
	for i := 7; i < len(s); i++ {
		if strings.IndexByte(bcryptAlphabet, s[i]) < 0 {
			return fmt.Errorf("%w: bcrypt: invalid character at offset %d", ErrMalformedHash, i)
		}
	}
	cost, _ := strconv.Atoi(s[4:6])
	if cost < bcrypt.MinCost || cost > MaxBcryptCost {
		return fmt.Errorf("%w: %w: bcrypt cost %d outside %d..%d", ErrMalformedHash, ErrHashParams, cost, bcrypt.MinCost, MaxBcryptCost)
	}
	return nil
}
