package signin

import (
	"context"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
)

// contacts are a user's verified email addresses and phone numbers, oldest
// first, each list read at most once per step: the factor lists, the Client
// Trust target, the MFA check and the new-device notice all need them.
// A step does not change them, so a list read inside the step's transaction
// stays right for the view built after it.
type contacts struct {
	userID string
	emails []*ent.EmailAddress
	phones []*ent.PhoneNumber
	// loaded: which lists were read (an empty list is a read list).
	emailsLoaded, phonesLoaded bool
	// totp is whether the user has a verified TOTP, when already known.
	totp *bool
}

func (k *contacts) verifiedEmails(ctx context.Context, c *ent.Client) ([]*ent.EmailAddress, error) {
	if !k.emailsLoaded {
		emails, err := c.EmailAddress.Query().Where(emailaddress.UserID(k.userID), emailaddress.Verified(true)).
			Order(ent.Asc(emailaddress.FieldCreatedAt)).All(ctx)
		if err != nil {
			return nil, err
		}
		k.emails, k.emailsLoaded = emails, true
	}
	return k.emails, nil
}

func (k *contacts) verifiedPhones(ctx context.Context, c *ent.Client) ([]*ent.PhoneNumber, error) {
	if !k.phonesLoaded {
		phones, err := c.PhoneNumber.Query().Where(phonenumber.UserID(k.userID), phonenumber.Verified(true)).
			Order(ent.Asc(phonenumber.FieldCreatedAt)).All(ctx)
		if err != nil {
			return nil, err
		}
		k.phones, k.phonesLoaded = phones, true
	}
	return k.phones, nil
}

// contactsOf returns the step's contacts of its user (st.user must be set).
func (st *state) contactsOf() *contacts {
	if st.contacts == nil || st.contacts.userID != st.user.ID {
		st.contacts = &contacts{userID: st.user.ID}
	}
	return st.contacts
}
