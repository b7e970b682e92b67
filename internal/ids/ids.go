// Package ids mints the public identifiers of trustgate's records.
//
// An identifier is a short type prefix, an underscore and 26 characters of
// Crockford base32 holding a 48-bit millisecond timestamp followed by 80 random
// bits (the ULID layout). The prefix tells a reader what the id names
// ("user_…", "sess_…"); the timestamp makes ids sort by creation time, which
// keeps keyset pagination and B-tree inserts cheap; the random part makes them
// unguessable, so an id never reveals how many records exist.
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// Len is the length of the part of an id after the prefix and underscore.
const Len = 26

// New returns a fresh identifier with the given prefix for the current time.
// Ids from New rise strictly in the order they are minted in this process,
// across goroutines: the clock is read under the same lock that orders them,
// and a clock that steps back keeps the last millisecond.
func New(prefix string) string {
	current.Lock()
	defer current.Unlock()
	return current.mint(prefix, max(uint64(time.Now().UnixMilli()), current.ms))
}

// At returns a fresh identifier with the given prefix whose time part is t
// (for records dated in the past, such as seeded history). Within this
// process, ids from At are strictly increasing for non-decreasing t; they
// keep their own sequence, so dated ids never disturb the order of New's.
func At(prefix string, t time.Time) string {
	dated.Lock()
	defer dated.Unlock()
	return dated.mint(prefix, uint64(t.UnixMilli()))
}

// sequence is the newest id of a stream of ids, so that ids minted within
// one millisecond still sort in the order they were minted (ULID's
// monotonic mode: the random part is incremented instead of redrawn).
type sequence struct {
	sync.Mutex
	ms   uint64
	rand [10]byte
}

// current is New's stream, dated At's.
var current, dated sequence

// mint builds an id for millisecond ms; q must be locked.
func (q *sequence) mint(prefix string, ms uint64) string {
	if ms != q.ms || !increment(&q.rand) {
		if _, err := rand.Read(q.rand[:]); err != nil {
			// crypto/rand.Read never fails on supported platforms (Go 1.24+).
			panic(fmt.Sprintf("ids: reading randomness: %v", err))
		}
		q.ms = ms
	}
	return Derived(prefix, ms, q.rand)
}

// Derived returns the identifier with the given prefix, millisecond ms and
// random part rest: New's and At's layout, for an id that must come out the
// same every time it is computed (a decoy's, from a keyed hash).
func Derived(prefix string, ms uint64, rest [10]byte) string {
	var b [16]byte
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	copy(b[6:], rest[:])
	return prefix + "_" + encode(b)
}

// increment adds one to a big-endian number and reports false on overflow
// (then a fresh random part is drawn; 2^80 ids in one millisecond won't happen).
func increment(n *[10]byte) bool {
	for i := len(n) - 1; i >= 0; i-- {
		n[i]++
		if n[i] != 0 {
			return true
		}
	}
	return false
}

// encode writes 128 bits as 26 base32 characters, most significant first.
func encode(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	var out [Len]byte
	// 26 characters carry 130 bits; the first character holds the top 3 bits.
	for i := Len - 1; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// HasPrefix reports whether id is well formed and carries the given prefix.
func HasPrefix(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(rest) != Len {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(alphabet, rest[i]) < 0 {
			return false
		}
	}
	return true
}

// Prefix returns the type prefix of id, or "" when id has none.
func Prefix(id string) string {
	i := strings.LastIndexByte(id, '_')
	if i <= 0 || len(id)-i-1 != Len {
		return ""
	}
	return id[:i]
}
