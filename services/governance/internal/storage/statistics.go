package storage

import (
	"context"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/dated"
	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// Region statistics are counters per region, kept as compounds change:
//
//	gov:{regions}:stats:<region|_>   hash: compounds, households, buildings,
//	                                 status:<n>, management:<n>, entered:<year>:<status n>
//	gov:{regions}:counted:<cid>      hash: what of the compound the counters hold now
//	                                 (version, status, management, households, buildings)
//
// The counters live in the regions' slot and a compound's record in its own, so on
// Redis Cluster one script cannot change both. Each change of a compound is therefore
// counted in a second step, as its region indexes are: the step reads the compound as
// it is and moves the counters of the district, sub-district and community from what
// they hold of it to that. The step is idempotent and safe in any order: a compound's
// version (its revision plus its household and building counts, each of which only
// grows and one of which every write grows) only rises, and a step carrying a version
// not above the one counted changes nothing. A crash between the write and the count
// leaves the counters behind until the compound's next change or a replay of the
// request (RecountCompound).

func regionStatsKey(region string) string { return "gov:{regions}:stats:" + orAll(region) }
func countedKey(cid string) string        { return "gov:{regions}:counted:" + cid }

// statsCountedKey marks that every compound stored before the counters existed has been
// counted (CountStoredCompounds); its absence starts that count.
const statsCountedKey = "gov:{regions}:stats-counted"

// countCompound moves the region counters (KEYS[2]…) from the compound's share counted
// so far (KEYS[1]) to the one given. ARGV: version, status, management type,
// households, buildings, year of this change. A compound seen first adds one compound
// and enters its status; a status changed enters the new one in the change's year.
var countCompound = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'version', 'status', 'management', 'households', 'buildings')
local v = tonumber(ARGV[1])
if cur[1] and tonumber(cur[1]) >= v then return 0 end
for i = 2, #KEYS do
  local k = KEYS[i]
  if cur[1] then
    redis.call('HINCRBY', k, 'status:' .. cur[2], -1)
    redis.call('HINCRBY', k, 'management:' .. cur[3], -1)
    redis.call('HINCRBY', k, 'households', ARGV[4] - tonumber(cur[4]))
    redis.call('HINCRBY', k, 'buildings', ARGV[5] - tonumber(cur[5]))
  else
    redis.call('HINCRBY', k, 'compounds', 1)
    redis.call('HINCRBY', k, 'households', ARGV[4])
    redis.call('HINCRBY', k, 'buildings', ARGV[5])
  end
  redis.call('HINCRBY', k, 'status:' .. ARGV[2], 1)
  redis.call('HINCRBY', k, 'management:' .. ARGV[3], 1)
  if (not cur[1]) or cur[2] ~= ARGV[2] then
    redis.call('HINCRBY', k, 'entered:' .. ARGV[6] .. ':' .. ARGV[2], 1)
  end
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'status', ARGV[2], 'management', ARGV[3], 'households', ARGV[4], 'buildings', ARGV[5])
return 1`)

// RecountCompound brings the region counters up to the compound as it is stored now.
// It is what every write of a compound, its buildings and households ends with; calling
// it again changes nothing.
func (s *Store) RecountCompound(ctx context.Context, cid string) error {
	h, err := s.rdb.HGetAll(ctx, compoundKey(cid)).Result()
	if err != nil || len(h) == 0 {
		return err
	}
	c, err := compoundFrom(h)
	if err != nil {
		return err
	}
	// The year a compound's status counts in is when it entered it (rule 15).
	at := c.StatusTime
	if at.IsZero() {
		at = c.UpdateTime
	}
	if at.IsZero() {
		at = c.CreateTime
	}
	version := c.Revision + int64(c.HouseholdCount) + int64(c.BuildingCount)
	keys := []string{countedKey(cid), regionStatsKey("")}
	for _, r := range c.RegionPath {
		keys = append(keys, regionStatsKey(r))
	}
	return countCompound.Run(ctx, s.rdb, keys, version, int(c.Status), int(c.ManagementType),
		c.HouseholdCount, c.BuildingCount, at.In(dated.Zone).Year()).Err()
}

// RegionStatistics reads a region's counters ("" for every compound stored).
func (s *Store) RegionStatistics(ctx context.Context, region string) (registry.RegionStatistics, error) {
	h, err := s.rdb.HGetAll(ctx, regionStatsKey(region)).Result()
	if err != nil {
		return registry.RegionStatistics{}, err
	}
	st := registry.RegionStatistics{
		RegionID:     region,
		Compounds:    atoi(h["compounds"]),
		Households:   atoi(h["households"]),
		Buildings:    atoi(h["buildings"]),
		ByStatus:     map[registry.CompoundStatus]int64{},
		ByManagement: map[registry.ManagementType]int64{},
		Entered:      map[registry.YearStatus]int64{},
	}
	for f, v := range h {
		n := atoi(v)
		if n == 0 {
			continue
		}
		parts := strings.Split(f, ":")
		switch {
		case len(parts) == 2 && parts[0] == "status":
			st.ByStatus[registry.CompoundStatus(atoi(parts[1]))] = n
		case len(parts) == 2 && parts[0] == "management":
			st.ByManagement[registry.ManagementType(atoi(parts[1]))] = n
		case len(parts) == 3 && parts[0] == "entered":
			y, _ := strconv.Atoi(parts[1])
			st.Entered[registry.YearStatus{Year: y, Status: registry.CompoundStatus(atoi(parts[2]))}] = n
		}
	}
	return st, nil
}

// CountStoredCompounds counts the compounds stored before the region counters existed,
// once: it walks every compound (a one-off pass at start, not a read of the dashboard)
// and counts each as RecountCompound does, then marks the pass done. Replicas starting
// together, or a pass cut short and run again, count nothing twice: each compound's
// count is gated by its version.
func (s *Store) CountStoredCompounds(ctx context.Context) (int, error) {
	done, err := s.rdb.Exists(ctx, statsCountedKey).Result()
	if err != nil || done == 1 {
		return 0, err
	}
	n, token := 0, ""
	for {
		ids, next, err := paging.Lex(ctx, s.rdb, compoundsInKey(""), token, 500)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			if err := s.RecountCompound(ctx, id); err != nil {
				return n, err
			}
			n++
		}
		if next == "" {
			return n, s.rdb.Set(ctx, statsCountedKey, 1, 0).Err()
		}
		token = next
	}
}
