// The emulator's scheduler and its C entry points (see cuda_emu.hpp for the model). Built together with the
// project's kernels into target/cuda-emu/libfairlane_cuda_emu.so by build-emulator.sh, and called from Java
// tests through java.lang.foreign.
#include "cuda_emu.hpp"

// Coroutine switch for x86-64 System V: saves the callee-saved registers on the current stack, swaps stack
// pointers, restores the other side's registers. ucontext's swapcontext would also save and restore the signal
// mask, one system call per switch, which made barrier-heavy kernels spend most of their time in the kernel.
extern "C" void fl_emu_switch(void** save_sp, void* load_sp);
asm(R"(
    .text
    .globl fl_emu_switch
    .type fl_emu_switch, @function
fl_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size fl_emu_switch, .-fl_emu_switch
    .section .note.GNU-stack,"",@progbits
    .text
)");

#include <map>
#include <sys/mman.h>
#include <unistd.h>

namespace fl_emu {

thread_local uint3 tl_thread_idx;
thread_local uint3 tl_block_idx;
thread_local dim3 tl_block_dim;
thread_local dim3 tl_grid_dim;

namespace {

enum class Wait { None, Block, Warp, Done };

struct ThreadState {
    void* sp;
    Wait wait;
};

struct WarpState {
    float scratch[256];
    unsigned long long slots[32];
    bool written[32];
    int size;  // live lanes at launch (the last warp of a block may be partial)
};

constexpr size_t kStackBytes = 256 * 1024;
constexpr size_t kMaxSharedBytes = 227 * 1024;

struct BlockRun {
    Invoker invoker = nullptr;
    void** args = nullptr;
    int nthreads = 0;
    int current = 0;
    void* scheduler_sp = nullptr;
    std::vector<ThreadState> threads;
    std::vector<WarpState> warps;
    std::string error;
};

thread_local BlockRun* tl_run = nullptr;
thread_local char* tl_stacks = nullptr;
thread_local size_t tl_stack_count = 0;
thread_local std::vector<unsigned char> tl_dynamic_smem;
thread_local std::string tl_last_error;

std::map<std::string, Invoker>& registry() {
    static std::map<std::string, Invoker> kernels;
    return kernels;
}

// Stacks with a guard page below each, so an overflow faults instead of corrupting a neighbour.
char* stacks_for(size_t count) {
    if (count <= tl_stack_count) return tl_stacks;
    if (tl_stacks) munmap(tl_stacks, tl_stack_count * (kStackBytes + 4096));
    size_t bytes = count * (kStackBytes + 4096);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    char* base = static_cast<char*>(p);
    for (size_t i = 0; i < count; i++) mprotect(base + i * (kStackBytes + 4096), 4096, PROT_NONE);
    tl_stacks = base;
    tl_stack_count = count;
    return base;
}

void set_indices(int t) {
    const dim3& b = tl_block_dim;
    tl_thread_idx.x = t % b.x;
    tl_thread_idx.y = (t / b.x) % b.y;
    tl_thread_idx.z = t / (b.x * b.y);
}

[[noreturn]] void thread_entry() {
    BlockRun* run = tl_run;
    run->invoker(run->args);
    ThreadState& self = run->threads[run->current];
    self.wait = Wait::Done;
    fl_emu_switch(&self.sp, run->scheduler_sp);
    abort();  // a finished thread is never resumed
}

void yield(Wait why) {
    BlockRun* run = tl_run;
    ThreadState& self = run->threads[run->current];
    self.wait = why;
    fl_emu_switch(&self.sp, run->scheduler_sp);
}

// A fresh stack that fl_emu_switch "returns" into thread_entry from, 16-byte aligned as at a call.
void* initial_stack(char* base, size_t size) {
    uintptr_t top = ((uintptr_t)(base + size)) & ~(uintptr_t)15;
    void** sp = (void**)top;
    *--sp = nullptr;                                // fake return address of thread_entry
    *--sp = (void*)&thread_entry;                   // popped by ret
    for (int i = 0; i < 6; i++) *--sp = nullptr;    // rbp rbx r12 r13 r14 r15
    return sp;
}

int current_warp() { return tl_run->current / 32; }

// Runs one block to completion; returns false (with tl_run->error set) on a deadlock or a reported fault.
bool run_block(BlockRun& run) {
    char* stacks = stacks_for(run.nthreads);
    if (!stacks) {
        run.error = "cannot map coroutine stacks";
        return false;
    }
    for (int t = 0; t < run.nthreads; t++) {
        ThreadState& th = run.threads[t];
        th.wait = Wait::None;
        th.sp = initial_stack(stacks + t * (kStackBytes + 4096) + 4096, kStackBytes);
    }
    for (auto& w : run.warps)
        for (bool& b : w.written) b = false;
    for (;;) {
        for (int t = 0; t < run.nthreads; t++) {
            if (run.threads[t].wait != Wait::None) continue;
            run.current = t;
            set_indices(t);
            fl_emu_switch(&run.scheduler_sp, run.threads[t].sp);
            if (!run.error.empty()) return false;
        }
        bool released = false;
        bool all_done = true;
        // A warp barrier opens when each live lane of the warp waits at one.
        for (size_t w = 0; w < run.warps.size(); w++) {
            int first = (int)w * 32, last = first + run.warps[w].size;
            bool any_waiting = false, all_here = true;
            for (int t = first; t < last; t++) {
                Wait s = run.threads[t].wait;
                if (s == Wait::Warp) any_waiting = true;
                else if (s != Wait::Done) all_here = false;
            }
            if (any_waiting && all_here) {
                for (int t = first; t < last; t++)
                    if (run.threads[t].wait == Wait::Warp) run.threads[t].wait = Wait::None;
                released = true;
            }
        }
        if (released) continue;
        bool any_block = false, all_block = true;
        for (int t = 0; t < run.nthreads; t++) {
            Wait s = run.threads[t].wait;
            if (s != Wait::Done) all_done = false;
            if (s == Wait::Block) any_block = true;
            else if (s != Wait::Done) all_block = false;
        }
        if (all_done) return true;
        if (any_block && all_block) {
            for (int t = 0; t < run.nthreads; t++)
                if (run.threads[t].wait == Wait::Block) run.threads[t].wait = Wait::None;
            continue;
        }
        char buf[200];
        snprintf(buf, sizeof buf,
                 "deadlock in block (%u,%u,%u): threads wait at barriers that can never open "
                 "(a __syncthreads or warp operation not reached by every live thread)",
                 tl_block_idx.x, tl_block_idx.y, tl_block_idx.z);
        run.error = buf;
        return false;
    }
}

}  // namespace

void register_kernel(const char* name, Invoker invoker) { registry()[name] = invoker; }

void sync_block() { yield(Wait::Block); }

void sync_warp() { yield(Wait::Warp); }

int lane_id() { return tl_run->current % 32; }

void* dynamic_shared_memory() { return tl_dynamic_smem.data(); }

float* warp_scratch() { return tl_run->warps[current_warp()].scratch; }

[[noreturn]] void fail(const char* message) {
    BlockRun* run = tl_run;
    char buf[300];
    snprintf(buf, sizeof buf, "%s (block (%u,%u,%u), thread %d)", message, tl_block_idx.x, tl_block_idx.y,
             tl_block_idx.z, run->current);
    run->error = buf;
    ThreadState& self = run->threads[run->current];
    self.wait = Wait::Done;
    fl_emu_switch(&self.sp, run->scheduler_sp);
    abort();  // never resumed
}

void warp_exchange(const void* value, void* out, int size, int width, int mode, int arg) {
    BlockRun* run = tl_run;
    WarpState& ws = run->warps[current_warp()];
    int lane = lane_id();
    if (width <= 0 || width > 32 || (width & (width - 1)) != 0) fail("shuffle width must be a power of two <= 32");
    std::memcpy(&ws.slots[lane], value, size);
    ws.written[lane] = true;
    sync_warp();
    int base = lane & ~(width - 1);
    int src = lane;
    switch (mode) {
        case 0: src = base + (arg & (width - 1)); break;
        case 1: src = lane ^ arg; if ((src & ~(width - 1)) != base) src = lane; break;
        case 2: src = lane + arg; if (src >= base + width) src = lane; break;
        default: src = lane - arg; if (src < base) src = lane; break;
    }
    if (src < 0 || src >= 32 || !ws.written[src]) fail("warp shuffle reads a lane that did not take part");
    std::memcpy(out, &ws.slots[src], size);
    sync_warp();
    ws.written[lane] = false;
}

unsigned warp_vote(int predicate, int kind) {
    BlockRun* run = tl_run;
    WarpState& ws = run->warps[current_warp()];
    int lane = lane_id();
    ws.slots[lane] = predicate ? 1 : 0;
    ws.written[lane] = true;
    sync_warp();
    unsigned mask = 0, members = 0;
    for (int l = 0; l < 32; l++) {
        if (!ws.written[l]) continue;
        members |= 1u << l;
        if (ws.slots[l]) mask |= 1u << l;
    }
    sync_warp();
    ws.written[lane] = false;
    if (kind == 1) return mask == members ? 1u : 0u;
    return mask;
}

}  // namespace fl_emu

using namespace fl_emu;

extern "C" {

// Launches kernel `name` over the grid; blocks run in order. args follows cuLaunchKernel's kernelParams:
// one pointer per parameter, pointing at the parameter's value. Returns 0, or -1 with emu_last_error() set.
int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
               unsigned dynamic_smem, void** args) {
    auto it = registry().find(name);
    if (it == registry().end()) {
        tl_last_error = std::string("no kernel named ") + name;
        return -1;
    }
    unsigned nthreads = bx * by * bz;
    if (nthreads == 0 || nthreads > 1024 || bz > 64 || gx == 0 || gy == 0 || gz == 0 || gy > 65535 || gz > 65535) {
        tl_last_error = std::string("invalid launch configuration for ") + name;
        return -1;
    }
    if (dynamic_smem > kMaxSharedBytes) {
        tl_last_error = std::string("too much dynamic shared memory for ") + name;
        return -1;
    }
    // Shared memory starts as NaN bytes in every block, so a read of something never written shows up.
    tl_dynamic_smem.assign(dynamic_smem + 16, 0xff);
    BlockRun run;
    run.invoker = it->second;
    run.args = args;
    run.nthreads = (int)nthreads;
    run.threads.resize(nthreads);
    run.warps.resize((nthreads + 31) / 32);
    for (size_t w = 0; w < run.warps.size(); w++)
        run.warps[w].size = (int)std::min<unsigned>(32, nthreads - (unsigned)w * 32);
    BlockRun* saved = tl_run;
    tl_run = &run;
    tl_block_dim = dim3(bx, by, bz);
    tl_grid_dim = dim3(gx, gy, gz);
    bool ok = true;
    for (unsigned z = 0; z < gz && ok; z++)
        for (unsigned y = 0; y < gy && ok; y++)
            for (unsigned x = 0; x < gx && ok; x++) {
                tl_block_idx = {x, y, z};
                std::fill(tl_dynamic_smem.begin(), tl_dynamic_smem.end(), 0xff);
                ok = run_block(run);
            }
    tl_run = saved;
    if (!ok) {
        tl_last_error = std::string(name) + ": " + run.error;
        return -1;
    }
    return 0;
}

const char* emu_last_error() { return tl_last_error.c_str(); }

int emu_kernel_count() { return (int)registry().size(); }

const char* emu_kernel_name(int index) {
    int i = 0;
    for (auto& e : registry())
        if (i++ == index) return e.first.c_str();
    return nullptr;
}
}
