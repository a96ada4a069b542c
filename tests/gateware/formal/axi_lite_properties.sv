// AXI4-Lite slave properties for SymbiYosys (read_verilog -formal): the master is assumed to keep the protocol,
// the slave (module axi_slave, exported from mtjhw.gateware.axi_lite) is asserted to. test_formal_axi.py fills in
// the register map: MAPPED_WORDS / WRITABLE_WORDS (expressions of address), RO_PORTS (the fabric's inputs, all
// tied to the free input `fabric`).
module axi_lite_properties(
    input clk, input rst,
    input [11:0] awaddr, input awvalid, input [31:0] wdata, input [3:0] wstrb, input wvalid, input bready,
    input [11:0] araddr, input arvalid, input rready,
    input [31:0] fabric
);
    wire awready, wready, bvalid, arready, rvalid;
    wire [1:0] bresp, rresp;
    wire [31:0] rdata;
    axi_slave dut(
        .clk(clk), .rst(rst),
        .awaddr(awaddr), .awvalid(awvalid), .awready(awready), .wdata(wdata), .wstrb(wstrb), .wvalid(wvalid),
        .wready(wready), .bresp(bresp), .bvalid(bvalid), .bready(bready),
        .araddr(araddr), .arvalid(arvalid), .arready(arready), .rdata(rdata), .rresp(rresp), .rvalid(rvalid),
        .rready(rready),
        RO_PORTS
    );

    function mapped(input [11:0] address);
        mapped = MAPPED_WORDS;
    endfunction
    function writable(input [11:0] address);
        writable = WRITABLE_WORDS;
    endfunction

    reg past_valid = 0;
    always @(posedge clk) past_valid <= 1;
    // reset in the first cycle only
    always @* assume(rst == !past_valid);

    // the master: a valid stays up, its payload unchanged, until ready
    always @(posedge clk) if (past_valid && !$past(rst)) begin
        if ($past(awvalid && !awready)) assume(awvalid && awaddr == $past(awaddr));
        if ($past(wvalid && !wready)) assume(wvalid && wdata == $past(wdata) && wstrb == $past(wstrb));
        if ($past(arvalid && !arready)) assume(arvalid && araddr == $past(araddr));
    end

    // handshakes, and the response each request is owed (in order: the slave serves one at a time)
    reg [4:0] aws = 0, ws = 0, bs = 0, ars = 0, rs = 0;
    reg [1:0] owed_b [0:3];
    reg [1:0] owed_r [0:3];
    reg [3:0] waited = 0;
    wire write_due = aws > bs && ws > bs;
    always @(posedge clk) if (!rst) begin
        if (awvalid && awready) begin
            owed_b[aws[1:0]] <= mapped(awaddr) && writable(awaddr) ? 2'd0 : 2'd2;
            aws <= aws + 1;
        end
        if (wvalid && wready) ws <= ws + 1;
        if (bvalid && bready) bs <= bs + 1;
        if (arvalid && arready) begin
            owed_r[ars[1:0]] <= mapped(araddr) ? 2'd0 : 2'd2;
            ars <= ars + 1;
        end
        if (rvalid && rready) rs <= rs + 1;
        waited <= write_due && !bvalid ? waited + 1 : 0;
    end

    always @* if (past_valid && !rst) begin
        // no response without a request, one per request
        assert(bs <= aws && bs <= ws && aws <= bs + 2 && ws <= bs + 2);
        assert(rs <= ars && ars <= rs + 1);
        if (bvalid) assert(write_due);
        if (rvalid) assert(ars > rs);
        // SLVERR for unmapped addresses and read-only registers, OKAY otherwise; no data from an error
        if (bvalid) assert(bresp == owed_b[bs[1:0]]);
        if (rvalid) assert(rresp == owed_r[rs[1:0]]);
        if (rvalid && rresp != 0) assert(rdata == 0);
        // a write with both its channels in is answered within two cycles
        assert(waited <= 2);
    end

    // the slave: a response stays up, unchanged, until accepted
    always @(posedge clk) if (past_valid && !$past(rst) && !rst) begin
        if ($past(bvalid && !bready)) assert(bvalid && bresp == $past(bresp));
        if ($past(rvalid && !rready)) assert(rvalid && rresp == $past(rresp) && rdata == $past(rdata));
    end
endmodule
