#include "taskly/store.h"

namespace taskly {

Result<EnqueueResult> Store::enqueue_one(const TaskSpec& spec) {
  // Validate here so that a single task's error names its field bare ("queue"), not as a
  // batch element ("tasks[0].queue").
  if (Status s = ValidateTaskSpec(spec); !s.ok()) return s;
  Result<std::vector<EnqueueResult>> r = enqueue(std::span<const TaskSpec>(&spec, 1));
  if (!r.ok()) return r.status();
  return std::move(r->front());
}

Result<std::vector<EnqueueResult>> Store::enqueue_as_leader(std::span<const TaskSpec> specs,
                                                            uint64_t /*term*/) {
  return enqueue(specs);
}

Status Store::ping() { return Status(); }

int64_t Store::damaged_rows() { return 0; }

std::vector<Status> Store::complete_batch(std::span<Completion> items) {
  std::vector<Status> out;
  out.reserve(items.size());
  for (Completion& c : items) out.push_back(complete(c.id, c.token, std::move(c.result)));
  return out;
}

Status Store::complete_and_claim(std::span<Completion> done, std::vector<Status>& statuses,
                                 const ClaimRequest& request, std::vector<Lease>& leases) {
  statuses.clear();
  if (!done.empty()) statuses = complete_batch(done);
  Result<std::vector<Lease>> claimed = claim(request);
  if (!claimed.ok()) {
    leases.clear();
    return claimed.status();
  }
  leases = std::move(*claimed);
  return Status();
}

}  // namespace taskly
