// Compiler Memory Insight's GCC plugin: times the compile of one translation unit by gcc's own
// events, on the wall clock (CLOCK_REALTIME, epoch microseconds: the profile's clock), and writes a
// small text record to $CMI_CC_PASSES. Loaded by the cc1/cc1plus shim with -fplugin; native/README.md
// describes the record and how server/src/core/collect/cc.ts turns it into phases.
//
// What it records, and why so:
//  - Stages with real start and end (setup, parsing, analysis and lowering, IPA passes, late IPA
//    passes, optimisation and expansion, output), switched by gcc's plugin events.
//  - Passes that run once for the unit (IPA passes) as timed children of their stage.
//  - Passes that run once per function are NOT written per (pass, function): a big file has
//    thousands of functions. Each timed phase gets per-pass totals instead (time, runs, GGC bytes
//    allocated), so the record stays a few hundred lines whatever the size of the file.
//  - GGC figures are gcc's running count of bytes allocated in its garbage-collected heap
//    (`timevar_ggc_mem_total`, the figure behind -ftime-report's GGC column): a plain read. GCC
//    exports no cheap figure of the GGC heap in use (ggc-page keeps it in a static), so none is
//    recorded.
// gcc has no "pass ended" event: a per-function pass ends at the next pass's gate check
// (PLUGIN_OVERRIDE_GATE, called for every pass, run or not) or at the next event, whichever first.
//
// Never fails the compile: without $CMI_CC_PASSES it registers nothing; on a gcc version other than
// the one it was built for it writes one "mismatch" line and registers nothing.

#include "gcc-plugin.h"
#include "plugin-version.h"
#include "tree-pass.h"
#include "timevar.h"
#include "context.h"
#include "pass_manager.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <unordered_map>
#include <vector>

int plugin_is_GPL_compatible;

namespace {

struct total {
  uint64_t ns = 0;
  uint64_t runs = 0;
  uint64_t ggc = 0;
};

// A timed phase: a stage, or a unit-level pass inside one. Per-function passes add to `rows`.
struct timed {
  bool open = false;
  std::unordered_map<const char *, total> rows; // keyed by the pass's (static) name
  std::vector<const char *> order;              // names in first-run order
};

enum stage_id { ST_NONE, ST_SETUP, ST_PARSING, ST_LOWERING, ST_IPA, ST_LATE_IPA, ST_EXPANSION, ST_OUTPUT };
const char *const STAGE_NAMES[] = {
  "", "setup", "parsing", "analysis and lowering", "IPA passes", "late IPA passes", "optimisation and expansion",
  "output",
};

int fd = -1;
std::string buf;
stage_id stage = ST_NONE;
timed stage_rows;
timed pass_rows;
// The per-function pass running now, if any.
const char *slot_name = nullptr;
uint64_t slot_ns = 0;
size_t slot_ggc = 0;
// End of the last function's pipeline (PLUGIN_ALL_PASSES_END): where the expansion stage ends.
uint64_t last_function_end_ns = 0;
size_t last_function_end_ggc = 0;
uint64_t functions_expanded = 0;
uint64_t functions_parsed = 0;

uint64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

size_t ggc_now() { return timevar_ggc_mem_total; }

void flush() {
  if (fd < 0 || buf.empty()) return;
  const char *p = buf.data();
  size_t left = buf.size();
  while (left) {
    ssize_t n = write(fd, p, left);
    if (n <= 0) break; // a full disk: drop the record, never the compile
    p += n;
    left -= (size_t)n;
  }
  buf.clear();
}

void put_u64(uint64_t v) {
  char tmp[24];
  int i = 0;
  do {
    tmp[i++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (i) buf.push_back(tmp[--i]);
}

// "<tag> <us> <ggc>"
void put_stamp(char tag, uint64_t ns, size_t ggc) {
  buf.push_back(tag);
  buf.push_back(' ');
  put_u64(ns / 1000);
  buf.push_back(' ');
  put_u64(ggc);
}

void put_rows(timed &t) {
  for (const char *name : t.order) {
    const total &r = t.rows[name];
    buf += "R ";
    put_u64((r.ns + 500) / 1000);
    buf.push_back(' ');
    put_u64(r.runs);
    buf.push_back(' ');
    put_u64(r.ggc);
    buf.push_back(' ');
    buf += name;
    buf.push_back('\n');
  }
  t.rows.clear();
  t.order.clear();
  t.open = false;
}

void close_slot(uint64_t ns, size_t ggc) {
  if (!slot_name) return;
  timed &t = pass_rows.open ? pass_rows : stage_rows;
  auto it = t.rows.find(slot_name);
  if (it == t.rows.end()) {
    it = t.rows.emplace(slot_name, total()).first;
    t.order.push_back(slot_name);
  }
  it->second.ns += ns - slot_ns;
  it->second.runs++;
  it->second.ggc += ggc - slot_ggc;
  slot_name = nullptr;
}

void end_pass(uint64_t ns, size_t ggc) {
  if (!pass_rows.open) return;
  put_rows(pass_rows);
  put_stamp('E', ns, ggc);
  buf.push_back('\n');
}

void begin(const char *kind, const char *name, uint64_t ns, size_t ggc) {
  put_stamp('B', ns, ggc);
  buf.push_back(' ');
  buf += kind;
  buf.push_back(' ');
  buf += name;
  buf.push_back('\n');
}

void end_stage(uint64_t ns, size_t ggc) {
  end_pass(ns, ggc);
  if (stage == ST_NONE) return;
  if (stage == ST_EXPANSION) {
    buf += "I functions=";
    put_u64(functions_expanded);
    buf.push_back('\n');
  }
  put_rows(stage_rows);
  put_stamp('E', ns, ggc);
  buf.push_back('\n');
  stage = ST_NONE;
  flush(); // a crash later on keeps every stage that ended
}

void begin_stage(stage_id s, uint64_t ns, size_t ggc) {
  end_stage(ns, ggc);
  stage = s;
  stage_rows.open = true;
  begin("stage", STAGE_NAMES[s], ns, ggc);
  if (buf.size() > 1 << 16) flush();
}

bool unit_level(const opt_pass *p) { return p && (p->type == IPA_PASS || p->type == SIMPLE_IPA_PASS); }

// The first pass of a function after parsing: gcc analyses and lowers the unit's functions.
void leave_front_end(uint64_t ns, size_t ggc) {
  if (stage == ST_SETUP || stage == ST_PARSING || stage == ST_NONE) begin_stage(ST_LOWERING, ns, ggc);
}

void on_gate(void *, void *) {
  uint64_t ns = now_ns();
  size_t ggc = ggc_now();
  close_slot(ns, ggc);
  if (unit_level(current_pass)) end_pass(ns, ggc);
}

void on_pass(void *gcc_data, void *) {
  const opt_pass *p = (const opt_pass *)gcc_data;
  uint64_t ns = now_ns();
  size_t ggc = ggc_now();
  close_slot(ns, ggc);
  if (!p || !p->name) return;
  if (unit_level(p)) {
    end_pass(ns, ggc);
    if (stage == ST_SETUP || stage == ST_PARSING || stage == ST_NONE) leave_front_end(ns, ggc);
    pass_rows.open = true;
    begin("pass", p->name, ns, ggc);
    return;
  }
  leave_front_end(ns, ggc);
  slot_name = p->name;
  slot_ns = ns;
  slot_ggc = ggc;
}

void on_event(void *, void *user_data) {
  int ev = (int)(intptr_t)user_data;
  uint64_t ns = now_ns();
  size_t ggc = ggc_now();
  close_slot(ns, ggc);
  switch (ev) {
  case PLUGIN_START_UNIT:
    if (stage == ST_SETUP || stage == ST_NONE) begin_stage(ST_PARSING, ns, ggc);
    break;
  case PLUGIN_FINISH_PARSE_FUNCTION:
    functions_parsed++;
    break;
  case PLUGIN_ALL_IPA_PASSES_START:
    begin_stage(ST_IPA, ns, ggc);
    break;
  case PLUGIN_ALL_IPA_PASSES_END:
    begin_stage(ST_LATE_IPA, ns, ggc);
    break;
  case PLUGIN_ALL_PASSES_START:
    if (stage != ST_EXPANSION) begin_stage(ST_EXPANSION, ns, ggc);
    functions_expanded++;
    break;
  case PLUGIN_ALL_PASSES_END:
    last_function_end_ns = ns;
    last_function_end_ggc = ggc;
    break;
  case PLUGIN_FINISH_UNIT:
    // Variables, debug info and the assembler file's end: after the last function's pipeline.
    if (stage == ST_EXPANSION && last_function_end_ns) {
      end_stage(last_function_end_ns, last_function_end_ggc);
      begin_stage(ST_OUTPUT, last_function_end_ns, last_function_end_ggc);
    } else if (stage != ST_OUTPUT)
      begin_stage(ST_OUTPUT, ns, ggc);
    break;
  case PLUGIN_FINISH:
    end_stage(ns, ggc);
    buf += "I parsed=";
    put_u64(functions_parsed);
    buf.push_back('\n');
    put_stamp('F', ns, ggc);
    buf.push_back('\n');
    flush();
    close(fd);
    fd = -1;
    break;
  default:
    break;
  }
}

// gcc exits through exit() on errors and internal errors: keep what was recorded.
void at_exit() {
  if (fd < 0) return;
  buf += "X\n";
  flush();
  close(fd);
  fd = -1;
}

void header(const char *extra) {
  buf += "# cmi-gcc-plugin 1 pid=";
  put_u64((uint64_t)getpid());
  buf += " built-for=";
  buf += gcc_version.basever;
  buf += extra;
  buf.push_back('\n');
}

// A unit-level pass has no end event: it ends at the next pass's gate check. The last late IPA pass
// has none after it, and what gcc does next (clones, the first function's set-up) would be counted
// in it. This pass, placed after it, never runs: its gate check ends that pass.
const pass_data END_MARK_DATA = {
  SIMPLE_IPA_PASS, "*cmi_end_of_late_ipa", OPTGROUP_NONE, TV_NONE, 0, 0, 0, 0, 0,
};
struct end_mark : simple_ipa_opt_pass {
  explicit end_mark(gcc::context *ctxt) : simple_ipa_opt_pass(END_MARK_DATA, ctxt) {}
  bool gate(function *) final override { return false; }
  opt_pass *clone() final override { return new end_mark(m_ctxt); }
};

void add_end_mark(const char *name) {
  gcc::pass_manager *pm = g ? g->get_passes() : nullptr;
  opt_pass *last = pm ? pm->all_late_ipa_passes : nullptr;
  while (last && last->next) last = last->next;
  if (!last || !last->name) return;
  static struct register_pass_info info;
  info.pass = new end_mark(g);
  info.reference_pass_name = last->name;
  info.ref_pass_instance_number = 1;
  info.pos_op = PASS_POS_INSERT_AFTER;
  register_callback(name, PLUGIN_PASS_MANAGER_SETUP, nullptr, &info);
}

} // namespace

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version) {
  const char *out = getenv("CMI_CC_PASSES");
  if (!out || !*out) return 0;
  fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  uint64_t ns = now_ns();
  if (!plugin_default_version_check(version, &gcc_version)) {
    header("");
    buf += "# mismatch gcc=";
    buf += version && version->basever ? version->basever : "?";
    buf.push_back('\n');
    flush();
    close(fd);
    fd = -1;
    return 0;
  }
  buf.reserve(1 << 17);
  header(" clock=realtime-us ggc=allocated-bytes");
  put_stamp('S', ns, ggc_now());
  buf.push_back('\n');
  atexit(at_exit);
  const char *name = info->base_name;
  stage = ST_NONE;
  begin_stage(ST_SETUP, ns, ggc_now());
  add_end_mark(name);
  register_callback(name, PLUGIN_PASS_EXECUTION, on_pass, nullptr);
  register_callback(name, PLUGIN_OVERRIDE_GATE, on_gate, nullptr);
  static const int events[] = {
    PLUGIN_START_UNIT,       PLUGIN_FINISH_PARSE_FUNCTION, PLUGIN_ALL_IPA_PASSES_START, PLUGIN_ALL_IPA_PASSES_END,
    PLUGIN_ALL_PASSES_START, PLUGIN_ALL_PASSES_END,        PLUGIN_FINISH_UNIT,          PLUGIN_FINISH,
  };
  for (int ev : events) register_callback(name, ev, on_event, (void *)(intptr_t)ev);
  static struct plugin_info about = {"1", "Compiler Memory Insight: pass times for cmi profile"};
  register_callback(name, PLUGIN_INFO, nullptr, &about);
  return 0;
}
