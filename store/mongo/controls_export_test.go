package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parcours/parcours/marketplace"
)

// PutDossiersForBench inserts dossiers straight into their collection, by
// chunks, to fill a database for the scan benchmark quickly.
func (s *Store) PutDossiersForBench(ctx context.Context, ds []marketplace.Dossier) error {
	var models []mongo.WriteModel
	for _, d := range ds {
		models = append(models, mongo.NewInsertOneModel().SetDocument(newDossierDoc(d, "bench")))
	}
	return s.bulk(ctx, cDossiers, models)
}
