package mongo

import (
	"context"
	"encoding/json"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/skills"
)

var _ skills.Store = (*Store)(nil)

// The graph is one collection: field k names the record kind, _id is
// "<kind>\x00<record key>". PutGraph is not atomic across records (no
// multi-document transaction); a batch that fails part-way is written
// again whole by the importer (see replaceAll).
const (
	gSkill = "1skill"
	gOcc   = "2occupation"
	gCert  = "3certification"
	gJob   = "4job"
	gOutc  = "5outcome"
	gHire  = "6hiring"
	gEdge  = "7edge" // last, so that ScanGraph gives every node first
)

// PutGraph implements skills.Store.
func (s *Store) PutGraph(ctx context.Context, b skills.Batch) error {
	var docs []bson.M
	seen := map[string]int{}
	put := func(kind, key string, v any) {
		id := kind + "\x00" + key
		d := bson.M{"_id": id, "k": kind, "j": encode(v)}
		if i, ok := seen[id]; ok { // the last of one batch wins
			docs[i] = d
			return
		}
		seen[id] = len(docs)
		docs = append(docs, d)
	}
	if len(b.DeleteEdges) > 0 {
		ids := make([]string, len(b.DeleteEdges))
		for i, e := range b.DeleteEdges {
			ids[i] = gEdge + "\x00" + e.Key()
		}
		for i := 0; i < len(ids); i += bigChunk {
			cctx, cancel := s.ctx(ctx)
			_, err := s.db.Collection(cGraph).DeleteMany(cctx, bson.M{"_id": bson.M{"$in": ids[i:min(i+bigChunk, len(ids))]}})
			cancel()
			if err != nil {
				return translate(err)
			}
		}
	}
	for _, r := range b.Skills {
		put(gSkill, r.ID, r)
	}
	for _, r := range b.Occupations {
		put(gOcc, r.ID, r)
	}
	for _, r := range b.Certifications {
		put(gCert, r.Code, r)
	}
	for _, r := range b.JobOffers {
		put(gJob, r.ID, r)
	}
	for _, r := range b.Edges {
		put(gEdge, r.Key(), r)
	}
	for _, r := range b.Outcomes {
		put(gOutc, r.Key(), r)
	}
	for _, r := range b.Hiring {
		put(gHire, r.Key(), r)
	}
	if err := s.replaceAll(ctx, cGraph, docs); err != nil {
		return err
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d["_id"].(string)
	}
	return s.graphChanged(ctx, ids, b.DeleteEdges)
}

// scanChunk bounds the records handed to ScanGraph's callback at once.
const scanChunk = 10000

// ScanGraph implements skills.Store.
func (s *Store) ScanGraph(ctx context.Context, fn func(skills.Batch) error) error {
	cur, err := s.db.Collection(cGraph).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "k", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return translate(err)
	}
	defer cur.Close(ctx)
	var b skills.Batch
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := fn(b)
		b = skills.Batch{}
		return err
	}
	lastKind := ""
	for cur.Next(ctx) {
		var r struct {
			K string `bson:"k"`
			J []byte `bson:"j"`
		}
		if err := cur.Decode(&r); err != nil {
			return translate(err)
		}
		if r.K == gEdge && lastKind != gEdge {
			if err := flush(); err != nil {
				return err
			}
		}
		lastKind = r.K
		if err := addGraphRecord(&b, r.K, r.J); err != nil {
			return err
		}
		if b.Len() >= scanChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := cur.Err(); err != nil {
		return translate(err)
	}
	return flush()
}

// addGraphRecord decodes a stored graph record of kind into b.
func addGraphRecord(b *skills.Batch, kind string, j []byte) error {
	switch kind {
	case gSkill:
		return appendJSON(j, &b.Skills)
	case gOcc:
		return appendJSON(j, &b.Occupations)
	case gCert:
		return appendJSON(j, &b.Certifications)
	case gJob:
		return appendJSON(j, &b.JobOffers)
	case gOutc:
		return appendJSON(j, &b.Outcomes)
	case gHire:
		return appendJSON(j, &b.Hiring)
	case gEdge:
		return appendJSON(j, &b.Edges)
	}
	return nil
}

func appendJSON[T any](data []byte, into *[]T) error {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*into = append(*into, v)
	return nil
}
