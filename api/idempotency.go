package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

const (
	ctxIdem     = "idempotency"
	ctxRendered = "idempotency.rendered" // version of the dossier Respond rendered
	ctxStored   = "idempotency.stored"   // the response was stored with the operation
)

// IdempotencyHeader carries the client's key on requests that move money.
const IdempotencyHeader = "Idempotency-Key"

// captureWriter keeps a copy of the response body for the idempotency record.
type captureWriter struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) WriteString(s string) (int, error) {
	w.buf.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}

// idempotent guards a request that moves money. The client's
// Idempotency-Key is scoped to the token's holder and stored with a
// fingerprint of the request (method, path, holder, body hash): a retry
// with the same key and request gets the stored response again, with
// Idempotent-Replayed: true, and moves nothing; the same key with another
// request is refused (422). The key is recorded in the same store
// operation as the money it moves, so a retry after a crash between the
// two writes still moves money once.
func (s *Server) idempotent(c *gin.Context) {
	p, err := requireRole(c, auth.Roles...)
	if err != nil {
		writeProblem(c, s.log, err)
		return
	}
	key := c.GetHeader(IdempotencyHeader)
	if key == "" || len(key) > 200 || strings.ContainsFunc(key, func(r rune) bool { return r < ' ' || r > '~' }) {
		writeProblem(c, s.log, invalid(IdempotencyHeader, "header is required on requests that move money: a unique printable value of at most 200 characters per intended operation, such as a UUID, sent again unchanged on retries"))
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		writeProblem(c, s.log, decodeError(err))
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	bodySum := sha256.Sum256(body)
	fp := sha256.Sum256([]byte(c.Request.Method + "\n" + c.Request.URL.Path + "\n" + string(p.Role) + ":" + p.Subject + "\n" + hex.EncodeToString(bodySum[:])))
	idem := marketplace.Idem{Key: marketplace.ClientKeyPrefix + string(p.Role) + ":" + p.Subject + ":" + key, Fingerprint: hex.EncodeToString(fp[:])}
	store := s.Enrolment.Store()
	rec, err := store.Journal(c, idem.Key)
	switch {
	case err == nil && rec.Fingerprint != idem.Fingerprint:
		writeProblem(c, s.log, marketplace.ErrIdempotencyMismatch)
		return
	case err == nil && rec.Status != 0:
		c.Header("Idempotent-Replayed", "true")
		c.Header("Cache-Control", "no-store")
		c.Data(rec.Status, "application/json; charset=utf-8", rec.Body)
		c.Abort()
		return
	case err != nil && !errors.Is(err, marketplace.ErrNotFound):
		writeProblem(c, s.log, err)
		return
	}
	idem.Unused = err != nil
	c.Set(ctxIdem, idem)
	w := &captureWriter{ResponseWriter: c.Writer}
	c.Writer = w
	c.Next()
	if stored, _ := c.Get(ctxStored); stored == true {
		return
	}
	if st := w.Status(); st >= 200 && st < 300 {
		if err := store.SaveResponse(c, idem.Key, idem.Fingerprint, st, w.buf.Bytes()); err != nil {
			s.log.WarnContext(c, "saving an idempotent response", "err", err)
		}
	}
}

func idemOf(c *gin.Context) marketplace.Idem {
	v, _ := c.Get(ctxIdem)
	idem, _ := v.(marketplace.Idem)
	return idem
}

// dossierIdem is the request's idempotency key with a Respond that renders
// the dossier as this request's response (status), for the service to
// store it with the operation itself.
func dossierIdem(c *gin.Context, status int) marketplace.Idem {
	idem := idemOf(c)
	if idem.Key == "" {
		return idem
	}
	idem.Respond = func(d marketplace.Dossier) (int, []byte) {
		body, _ := json.Marshal(dossierOutput(d))
		c.Set(ctxRendered, rendered{d.ID + "@" + strconv.FormatInt(d.Version, 10), body})
		return status, body
	}
	return idem
}

// rendered is a response Respond made, kept so that the handler sends the
// very bytes the operation stored.
type rendered struct {
	version string
	body    []byte
}

// writeDossier sends a dossier; when it is the one Respond rendered, the
// operation stored the response already.
func writeDossier(c *gin.Context, status int, d marketplace.Dossier) {
	if v, ok := c.Get(ctxRendered); ok && v.(rendered).version == d.ID+"@"+strconv.FormatInt(d.Version, 10) {
		c.Set(ctxStored, true)
		c.Data(status, "application/json; charset=utf-8", v.(rendered).body)
		return
	}
	body, err := json.Marshal(dossierOutput(d))
	if err != nil {
		panic(err)
	}
	c.Data(status, "application/json; charset=utf-8", body)
}

var _ http.ResponseWriter = (*captureWriter)(nil)
