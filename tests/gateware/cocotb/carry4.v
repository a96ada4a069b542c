// Behavioural Xilinx 7-series CARRY4 for simulating the PYNQ-Z2 top outside Vivado (written from the primitive's
// documented function, no delays): the carry into bit 0 is CI | CYINIT; bit i propagates the carry where S[i] is
// set and generates DI[i] where it is not; O is the sum S ^ carry.
module CARRY4(output [3:0] CO, output [3:0] O, input CI, input CYINIT, input [3:0] DI, input [3:0] S);
    wire [4:0] carry = {CO, CI | CYINIT};
    assign CO = (S & carry[3:0]) | (~S & DI);
    assign O = S ^ carry[3:0];
endmodule
