package storage

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// electorateKey is a survey's own copy of its compound's households and their exclusive
// areas (household id → hundredths of m²), which the response script checks each
// response against and weighs it by (rules 2 and 3). It lives in the survey's hash slot,
// so the check and the write stay one step on Redis Cluster too.
func electorateKey(id string) string { return "svy:{s:" + id + "}:electorate" }

// electorateBatch bounds one HSET, so that loading a compound of 100,000 households does
// not hold Redis for one long command.
const electorateBatch = 1000

// KeepElectorate writes households (id → area) into a survey's copy of its compound's
// households. With replace, what was there is overwritten: the registry's events say
// what a household is now. Without it, a household already there keeps its area: a
// load or a one-off answer from governance may have been read before an event that was
// applied since.
func (s *Store) KeepElectorate(ctx context.Context, surveyID string, areas map[string]int64, replace bool) error {
	key := electorateKey(surveyID)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if replace {
			batch := make([]any, 0, 2*min(len(areas), electorateBatch))
			for id, a := range areas {
				batch = append(batch, id, strconv.FormatInt(a, 10))
				if len(batch) == 2*electorateBatch {
					p.HSet(ctx, key, batch...)
					batch = batch[:0]
				}
			}
			if len(batch) > 0 {
				p.HSet(ctx, key, batch...)
			}
			return nil
		}
		for id, a := range areas {
			p.HSetNX(ctx, key, id, strconv.FormatInt(a, 10))
		}
		return nil
	})
	return err
}

// ForgetElectorate drops a closed survey's copy: it takes no more responses, and its
// result is frozen with the electorate's totals.
func (s *Store) ForgetElectorate(ctx context.Context, surveyID string) error {
	return s.rdb.Unlink(ctx, electorateKey(surveyID)).Err()
}
