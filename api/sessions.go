package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// SessionInput is the body of session creation.
type SessionInput struct {
	Start string `json:"start"` // YYYY-MM-DD
	End   string `json:"end"`   // YYYY-MM-DD
	Seats int    `json:"seats"`
}

// SessionOutput is a session as the API shows it.
type SessionOutput struct {
	ID        string    `json:"id"`
	OfferID   string    `json:"offer_id"`
	Start     string    `json:"start"`
	End       string    `json:"end"`
	Seats     int       `json:"seats"`
	CreatedAt time.Time `json:"created_at"`
}

// SessionList is all sessions of an offer.
type SessionList struct {
	Results []SessionOutput `json:"results"`
}

func sessionOutput(s marketplace.Session) SessionOutput {
	return SessionOutput{ID: s.ID, OfferID: s.OfferID, Start: formatDate(s.Start), End: formatDate(s.End), Seats: s.Seats, CreatedAt: s.CreatedAt}
}

func (s *Server) listSessions(c *gin.Context) error {
	o, err := s.visibleOffer(c)
	if err != nil {
		return err
	}
	sessions, err := s.Catalogue.Store().Sessions(c, o.ID)
	if err != nil {
		return err
	}
	out := SessionList{Results: make([]SessionOutput, 0, len(sessions))}
	for _, ss := range sessions {
		out.Results = append(out.Results, sessionOutput(ss))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) createSession(c *gin.Context) error {
	who, err := requireRole(c, auth.Admin, auth.Provider)
	if err != nil {
		return err
	}
	offerID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in SessionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	start, err := parseDate("start", in.Start)
	if err != nil {
		return err
	}
	end, err := parseDate("end", in.End)
	if err != nil {
		return err
	}
	ss, err := s.Catalogue.AddSession(c, actor(who), marketplace.Session{OfferID: offerID, Start: start, End: end, Seats: in.Seats})
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/offers/"+ss.OfferID+"/sessions/"+ss.ID)
	c.JSON(http.StatusCreated, sessionOutput(ss))
	return nil
}

func (s *Server) deleteSession(c *gin.Context) error {
	who, err := requireRole(c, auth.Admin, auth.Provider)
	if err != nil {
		return err
	}
	offerID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sessionID, err := pathID(c, "session_id")
	if err != nil {
		return err
	}
	if err := s.Catalogue.RemoveSession(c, actor(who), offerID, sessionID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
