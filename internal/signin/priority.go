package signin

import (
	"context"

	"github.com/trustgate/trustgate/internal/factor"
)

// hashPriority puts the password check of a sign-in from a client the user
// already trusts into the hash pool's priority lane. A hash flood comes from
// new devices (that is what stuffing looks like), so people on their own
// devices keep getting in while the flood is refused. Trust only changes
// which queue the check waits in; the password is verified all the same.
func (s *Service) hashPriority(ctx context.Context, st *state) context.Context {
	if st.user != nil && st.trusted {
		return factor.WithPriority(ctx)
	}
	return ctx
}
