package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
)

// MeOutput describes the caller's token.
type MeOutput struct {
	Role    string    `json:"role"`
	Subject string    `json:"subject"`
	Expires time.Time `json:"expires_at"`
	// Org and OrgAdmin: the holder's organisation membership, if any.
	Org      string `json:"org,omitempty"`
	OrgAdmin bool   `json:"org_admin,omitempty"`
}

func (s *Server) me(c *gin.Context) error {
	p, err := requireRole(c, auth.Roles...)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, MeOutput{Role: string(p.Role), Subject: p.Subject, Expires: p.Expires, Org: p.Org, OrgAdmin: p.OrgAdmin})
	return nil
}

// backup streams a consistent snapshot of the embedded store. Writes go on
// meanwhile; the snapshot is the state at the start of the request.
func (s *Server) backup(c *gin.Context) error {
	if _, err := requireRole(c, auth.Admin); err != nil {
		return err
	}
	c.Header("Content-Type", "application/octet-stream")
	c.Header("Content-Disposition", `attachment; filename="parcours-backup.db"`)
	c.Header("Cache-Control", "no-store")
	// A large store takes longer to send than server.write_timeout allows
	// ordinary responses; the admin asked for it, so lift the deadline.
	if err := http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{}); err != nil {
		s.log.WarnContext(c, "backup: cannot lift the write deadline", "err", err)
	}
	c.Status(http.StatusOK)
	n, err := s.Backup.Backup(c.Writer)
	if err != nil {
		// The status is sent: cut the stream so the client sees a short body.
		s.log.ErrorContext(c, "backup failed", "bytes", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	s.log.InfoContext(c, "backup sent", "bytes", n)
	return nil
}
