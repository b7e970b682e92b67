package signin

import (
	"testing"

	"github.com/trustgate/trustgate/ent"
	entsignin "github.com/trustgate/trustgate/ent/signin"
	"github.com/trustgate/trustgate/internal/audit"
)

// TestCheckpointRewindsARetriedStep: what an aborted run of a step's
// transaction read, wrote into the state or queued is gone when DB.Tx runs
// the callback again, every time it does.
func TestCheckpointRewindsARetriedStep(t *testing.T) {
	si := &ent.SignIn{ID: "sia_1", Status: entsignin.StatusNeedsFirstFactor}
	u := &ent.User{ID: "user_1"}
	st := &state{si: si, user: u, trusted: false, contacts: &contacts{userID: u.ID}}
	rewind := st.checkpoint()
	for run := 1; run <= 2; run++ {
		rewind()
		if st.si != si || st.user != u || st.trusted || st.mfa != nil || st.contacts.emails.loaded ||
			len(st.verifications) != 0 || st.afterCommit != nil || st.events != nil {
			t.Fatalf("run %d starts from %+v, want the state before the transaction", run, st)
		}
		// What a run does before the database aborts it.
		st.trusted = true
		st.mfa = &[]*Factor{{Strategy: "totp"}}
		st.si = &ent.SignIn{ID: si.ID, Status: entsignin.StatusComplete}
		st.user = &ent.User{ID: u.ID, FailedAttempts: 1}
		st.contacts.emails.set([]*ent.EmailAddress{{ID: "idn_1"}})
		st.remember(&ent.Verification{ID: "ver_1"})
		st.events = append(st.events, audit.SignInEvent{Kind: audit.KindSignInCompleted})
		st.afterCommit = append(st.afterCommit, func() { t.Error("a notification of an aborted run was sent") })
	}
}
