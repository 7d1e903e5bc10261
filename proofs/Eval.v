(** * Evaluators: the definitions, computed over [Z]

    MathComp's [\sum] is sealed (it does not reduce under [Compute]), so each
    definition that sums has a twin here written with [foldr] over the same
    lists, and a lemma proving the twin equal to the definition at [R := Z].
    [Compute] on a twin therefore prints the numbers of the definition the
    theorems are about; [Instances.v] and [tests/test_proofs.py] use them. *)

From Coq Require Import ZArith.
From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp Require Import zify ssrZ.
From TConv Require Import Conv1d NDim Channels.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory.
Local Open Scope ring_scope.

(** A sum over a list, by [foldr]. *)
Definition sumZ (I : Type) (r : seq I) (F : I -> Z) : Z :=
  foldr (fun i acc => Z.add (F i) acc) Z0 r.

Definition ZR := [comRingType of Z].

(** ** The twins *)

Definition conv_transpose1d_Z (x w : nat -> Z) (L K s d pb j : nat) : Z :=
  sumZ (iota 0 L) (fun i => sumZ (iota 0 K) (fun k =>
    if hit s d pb j i k then Z.mul (x i) (w k) else Z0)).

Definition upsample_Z (x : nat -> Z) (L s t : nat) : Z :=
  sumZ (iota 0 L) (fun i => if (t == i * s)%N then x i else Z0).

Definition conv1d_Z (v w : nat -> Z) (K s d o : nat) : Z :=
  sumZ (iota 0 K) (fun k => Z.mul (w k) (v (o * s + k * d)%N)).

(** The right-hand side of [conv_transpose1d_flipped]. *)
Definition flipped1d_Z (x w : nat -> Z) (L K s d pb j : nat) : Z :=
  conv1d_Z (pad (R := ZR) (upsample_Z x L s) (up_len L s) (P_l K d pb)) (flip w K) K 1 d j.

Definition upsampleN_Z (Ls ss : seq nat) (x : seq nat -> Z) (t : seq nat) : Z :=
  sumZ (box Ls) (fun i => if t == scale ss i then x i else Z0).

Definition conv_transpose_Z (g n m : nat) (ps : seq axis)
    (x : nat -> seq nat -> Z) (W : nat -> nat -> seq nat -> Z) (co : nat) (j : seq nat) : Z :=
  sumZ [seq ci <- iota 0 (g * n) | (ci %/ n == co %/ m)%N] (fun ci =>
    sumZ (box (map len ps)) (fun i => sumZ (box (map ker ps)) (fun k =>
      if hits ps j i k then Z.mul (x ci i) (W ci (co %% m)%N k) else Z0))).

(** The right-hand side of [conv_transpose_flipped]. *)
Definition flipped_Z (n m : nat) (ps : seq axis)
    (x : nat -> seq nat -> Z) (W : nat -> nat -> seq nat -> Z) (co : nat) (j : seq nat) : Z :=
  sumZ (iota 0 n) (fun b => sumZ (box (map ker ps)) (fun k =>
    Z.mul (flip_swap (R := ZR) n m (map ker ps) W co b k)
      (padN (R := ZR) (map a_up_len ps) (map a_P_l ps)
         (upsampleN_Z (map len ps) (map stride ps) (x (co %/ m * n + b)%N))
         (taps (nseq (size ps) 1%N) (map dil ps) j k)))).

(** ** The twins equal the definitions *)

Lemma eq_sumZ (I : Type) (r : seq I) (F G : I -> Z) :
  (forall i, F i = G i) -> sumZ r F = sumZ r G.
Proof. by move=> FG; elim: r => //= i r ->; rewrite FG. Qed.

Lemma sumZE (I : Type) (r : seq I) (F : I -> Z) : \sum_(i <- r) (F i : ZR) = sumZ r F.
Proof. by rewrite unlock; elim: r => //= i r ->. Qed.

Lemma sum_ordZE n (F : nat -> Z) : \sum_(i < n) (F i : ZR) = sumZ (iota 0 n) F.
Proof. by rewrite -(big_mkord xpredT) /index_iota subn0 sumZE. Qed.

Lemma if_natmul (a : Z) (b : bool) : (a : ZR) *+ b = if b then a else Z0.
Proof. by case: b. Qed.

Lemma conv_transpose1d_ZE (x w : nat -> Z) L K s d pb j :
  conv_transpose1d (R := ZR) x w L K s d pb j = conv_transpose1d_Z x w L K s d pb j.
Proof.
rewrite /conv_transpose1d (sum_ordZE L (fun i => \sum_(k < K) (x i * w k : ZR) *+ hit s d pb j i k)).
apply: eq_sumZ => i; rewrite (sum_ordZE K (fun k => (x i * w k : ZR) *+ hit s d pb j i k)).
by apply: eq_sumZ => k; rewrite if_natmul.
Qed.

Lemma upsample_ZE (x : nat -> Z) L s t : upsample (R := ZR) x L s t = upsample_Z x L s t.
Proof.
rewrite /upsample (sum_ordZE L (fun i => (x i : ZR) *+ (t == i * s)%N)).
by apply: eq_sumZ => i; rewrite if_natmul.
Qed.

Lemma flipped1d_ZE (x w : nat -> Z) L K s d pb j :
  conv1d (R := ZR) (pad (upsample x L s) (up_len L s) (P_l K d pb)) (flip w K) K 1 d j
  = flipped1d_Z x w L K s d pb j.
Proof.
rewrite /conv1d (sum_ordZE K (fun k => (flip w K k : ZR)
  * pad (upsample x L s) (up_len L s) (P_l K d pb) (j * 1 + k * d)%N)).
by apply: eq_sumZ => k; rewrite /pad; case: ifP => // _; rewrite upsample_ZE.
Qed.

Lemma upsampleN_ZE Ls ss (x : seq nat -> Z) t :
  upsampleN (R := ZR) Ls ss x t = upsampleN_Z Ls ss x t.
Proof. by rewrite /upsampleN sumZE; apply: eq_sumZ => i; rewrite if_natmul. Qed.

Lemma conv_transpose_ZE g n m ps (x : nat -> seq nat -> Z) W co j :
  conv_transpose (R := ZR) g n m ps x W co j = conv_transpose_Z g n m ps x W co j.
Proof.
rewrite /conv_transpose -big_filter /index_iota subn0 sumZE; apply: eq_sumZ => ci.
rewrite sumZE; apply: eq_sumZ => i; rewrite sumZE; apply: eq_sumZ => k.
by rewrite if_natmul.
Qed.

Lemma flipped_ZE n m ps (x : nat -> seq nat -> Z) W co j :
  conv_groups (R := ZR) n m (map ker ps) (nseq (size ps) 1%N) (map dil ps)
    (upsample_pad ps x) (flip_swap n m (map ker ps) W) co j
  = flipped_Z n m ps x W co j.
Proof.
rewrite /conv_groups (sum_ordZE n (fun b => \sum_(k <- box (map ker ps))
  (flip_swap n m (map ker ps) W co b k : ZR) * upsample_pad ps x (co %/ m * n + b)%N
    (taps (nseq (size ps) 1%N) (map dil ps) j k))).
apply: eq_sumZ => b.
rewrite sumZE; apply: eq_sumZ => k.
by rewrite /upsample_pad /padN; case: ifP => // _; rewrite upsampleN_ZE.
Qed.

(** The theorems, read over [Z] through the twins. *)
Corollary flipped1d_Z_correct (x w : nat -> Z) L K s d pb j :
  conv_transpose1d_Z x w L K s d pb j = flipped1d_Z x w L K s d pb j.
Proof.
rewrite -conv_transpose1d_ZE -flipped1d_ZE.
by case: (conv_transpose1d_flipped x w L K s d pb 0%N 0%N).
Qed.

Corollary flipped_Z_correct g n m ps (x : nat -> seq nat -> Z) W co j :
  (co < g * m)%N -> size j = size ps ->
  conv_transpose_Z g n m ps x W co j = flipped_Z n m ps x W co j.
Proof.
move=> cogm sj; rewrite -conv_transpose_ZE -flipped_ZE.
by case: (conv_transpose_flipped g n m ps x W) => ->.
Qed.

(** ** Plumbing for instances: tensors as flat lists in C order *)

(** Row-major position of multi-index [i] in a tensor of shape [ns]. *)
Definition flat_index (ns i : seq nat) : nat :=
  foldl (fun acc p => acc * p.1 + p.2)%N 0%N (zip ns i).

(** The input [(C_in, *L)] and the weight [(C_in, C_out/g, *K)]. *)
Definition input_of (shape : seq nat) (data : seq Z) (c : nat) (i : seq nat) : Z :=
  nth Z0 data (flat_index shape (c :: i)).
Definition weight_of (shape : seq nat) (data : seq Z) (ci a : nat) (k : seq nat) : Z :=
  nth Z0 data (flat_index shape (ci :: a :: k)).

(** The output shape [(C_out, *L_out)] and a whole output, flat in C order. *)
Definition out_sizes (ps : seq axis) : seq nat := [seq absz (a_out_len a) | a <- ps].
Definition flat_output (C : nat) (ps : seq axis) (y : nat -> seq nat -> Z) : seq Z :=
  [seq y c j | c <- iota 0 C, j <- box (out_sizes ps)].

(** Everything a test compares, for a transposed convolution with [g] groups
    of input data [xdata] ([(g·n, *L)], C order) and weight data [wdata]
    ([(g·n, m, *K)], PyTorch's conv-transpose layout): the output shape
    [(g·m, *L_out)], the pads [P_l] and [P_r] per axis, and the output flat in
    C order by the scatter form and by the flipped form. *)
Definition report (g n m : nat) (ps : seq axis) (xdata wdata : seq Z)
    : seq nat * seq Z * seq Z * seq Z * seq Z :=
  let x := input_of ((g * n)%N :: map len ps) xdata in
  let W := weight_of ((g * n)%N :: m :: map ker ps) wdata in
  ((g * m)%N :: out_sizes ps,
   [seq Z_of_int (a_P_l a) | a <- ps],
   [seq Z_of_int (a_P_r a) | a <- ps],
   flat_output (g * m) ps (conv_transpose_Z g n m ps x W),
   flat_output (g * m) ps (flipped_Z n m ps x W)).
