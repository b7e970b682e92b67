package graph

import (
	"context"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/admin"
	"github.com/trustgate/trustgate/internal/signin"
)

func prepareInput(in PrepareFactorInput) signin.PrepareInput {
	return signin.PrepareInput{Strategy: in.Strategy, EmailAddressID: in.EmailAddressID, PhoneNumberID: in.PhoneNumberID}
}

func attemptInput(in AttemptFactorInput) signin.AttemptInput {
	return signin.AttemptInput{Strategy: in.Strategy, Code: in.Code, Password: in.Password}
}

// userFactors lists a user's second factors under their application's settings.
func (r *Resolver) userFactors(ctx context.Context, u *ent.User) ([]*signin.Factor, error) {
	app, err := u.Edges.ApplicationOrErr() // loaded with a users page
	if err != nil {
		if app, err = u.QueryApplication().Only(ctx); err != nil {
			return nil, err
		}
	}
	set, err := admin.Settings(app)
	if err != nil {
		return nil, err
	}
	return signin.MFAFactors(ctx, r.DB.Ent, u, &set)
}
