#ifndef CORRAL_H
#define CORRAL_H
/* Placeholder until the spawn sequence lands. */
int corral_placeholder(void);
#endif
