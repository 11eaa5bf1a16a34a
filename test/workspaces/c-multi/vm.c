#include "minivm.h"
#include <stdlib.h>

/* A stack machine: globals in slots, a value stack, a computed-goto-free switch loop. */
long run_program(const program *p, strbuf *out) {
  long *slots = calloc(p->nnames + 1, sizeof *slots);
  long stack[256];
  size_t sp = 0, pc = 0;
  long steps = 0;
  for (;;) {
    const insn *i = &p->code[pc++];
    steps++;
    switch (i->op) {
      case OP_PUSH: stack[sp++] = i->arg; break;
      case OP_LOAD: stack[sp++] = slots[i->arg]; break;
      case OP_STORE: slots[i->arg] = stack[--sp]; break;
      case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case OP_DIV: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] / stack[sp] : 0; break;
      case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case OP_GT: sp--; stack[sp - 1] = stack[sp - 1] > stack[sp]; break;
      case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
      case OP_JZ: if (!stack[--sp]) pc = (size_t)i->arg; break;
      case OP_JMP: pc = (size_t)i->arg; break;
      case OP_PRINT: sb_printf(out, "%ld\n", stack[--sp]); break;
      case OP_HALT: free(slots); return steps;
    }
    if (sp >= sizeof stack / sizeof stack[0]) { free(slots); return -1; }
  }
}
