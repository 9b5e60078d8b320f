package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/profiles"
)

// PlatformKeyOutput is one key of the platform's DID document: its
// verification method and its window of service. A key without
// created_at has been in service since before keys were kept in the store.
type PlatformKeyOutput struct {
	ID        string     `json:"id"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// PlatformKeysOutput is the platform's signing keys, oldest first; the
// last one without retired_at is in service.
type PlatformKeysOutput struct {
	DID  string              `json:"did"`
	Keys []PlatformKeyOutput `json:"keys"`
}

func (s *Server) platformKeysOut(i profiles.Issuer) PlatformKeysOutput {
	d := s.Profiles.Notary().PlatformDID()
	out := PlatformKeysOutput{DID: d, Keys: []PlatformKeyOutput{}}
	for _, k := range i.Keys {
		ko := PlatformKeyOutput{ID: d + "#" + k.ID}
		if !k.Created.IsZero() {
			t := k.Created
			ko.CreatedAt = &t
		}
		if !k.Retired.IsZero() {
			t := k.Retired
			ko.RetiredAt = &t
		}
		out.Keys = append(out.Keys, ko)
	}
	return out
}

func (s *Server) platformKeys(c *gin.Context) error {
	if _, err := requireRole(c, auth.Admin); err != nil {
		return err
	}
	i, err := s.Profiles.Notary().PlatformKeys(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.platformKeysOut(i))
	return nil
}

// rotatePlatformKey retires the platform's key in service and puts a new
// one in service; it takes no body.
func (s *Server) rotatePlatformKey(c *gin.Context) error {
	if _, err := requireRole(c, auth.Admin); err != nil {
		return err
	}
	i, err := s.Profiles.RotatePlatformKey(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.platformKeysOut(i))
	return nil
}
