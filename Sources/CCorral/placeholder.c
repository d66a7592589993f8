int corral_placeholder(void) { return 0; }
